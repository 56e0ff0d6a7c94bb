#include <fmt/format.h>

#include "migrations/entry_plan.h"

namespace qcfg::migrations {

namespace {

std::string_view slice_text(const SourceText& src, Slice s) {
  return src.text().substr(s.begin, s.end - s.begin);
}

std::string spaces(size_t n) { return std::string(n, ' '); }

// Continuation lines of a multi-line flow value follow its key when the key moves.
std::string move_continuation_lines(std::string_view text, size_t from_col, size_t to_col) {
  const size_t nl = text.find('\n');
  if (nl == std::string_view::npos) return std::string(text);
  std::string rest = reindent(text.substr(nl + 1), from_col + 1, to_col + 1);
  return std::string(text.substr(0, nl + 1)) + rest;
}

std::string flow_cfg_text(const EntryPlan& e, const SourceText& src) {
  if (!e.cfg_rebuilt) return std::string(slice_text(src, e.cfg_parts.front()));
  std::string out = "{";
  for (size_t i = 0; i < e.cfg_parts.size(); ++i) {
    if (i > 0) out += ", ";
    out += slice_text(src, e.cfg_parts[i]);
  }
  return out + "}";
}

std::string block_cfg_lines(const EntryPlan& e, const SourceText& src, size_t to_indent) {
  std::string lines;
  for (const Slice& part : e.cfg_parts) {
    if (!lines.empty() && lines.back() != '\n') lines += '\n';
    lines += slice_text(src, part);
  }
  while (!lines.empty() && (lines.back() == '\n' || lines.back() == '\r')) lines.pop_back();
  return reindent(lines, e.cfg_source_indent, to_indent);
}

}  // namespace

std::string reindent(std::string_view lines, size_t from, size_t to) {
  std::string out;
  size_t pos = 0;
  while (pos <= lines.size()) {
    size_t nl = lines.find('\n', pos);
    if (nl == std::string_view::npos) nl = lines.size();
    std::string_view line = lines.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t indent = line.find_first_not_of(' ');
    if (indent != std::string_view::npos) {
      const size_t target = indent >= from ? to + (indent - from) : to;
      out += spaces(target);
      out += line.substr(indent);
    }
    if (nl == lines.size()) break;
    out += '\n';
    pos = nl + 1;
  }
  return out;
}

std::string render_block_entries(const std::vector<EntryPlan>& entries, const SourceText& src,
                                 size_t dash_col, size_t indent_unit) {
  std::vector<std::string> lines;
  const std::string field_indent = spaces(dash_col + 2);
  for (const EntryPlan& e : entries) {
    for (const std::string& c : e.comments_before) {
      lines.push_back(c.empty() ? c : spaces(dash_col) + c);
    }
    std::vector<std::string> fields;
    if (!e.parent_class.empty()) fields.push_back("parent_class: " + e.parent_class);
    fields.push_back("quantizer_name: " + e.name +
                     (e.name_comment.empty() ? "" : "  " + e.name_comment));
    if (!e.enable.empty()) fields.push_back("enable: " + e.enable);
    if (e.cfg_form == CfgForm::Flow) {
      fields.push_back("cfg: " + move_continuation_lines(flow_cfg_text(e, src), e.cfg_source_indent,
                                                         dash_col + 2));
    } else if (e.cfg_form == CfgForm::Block) {
      fields.push_back("cfg:\n" + block_cfg_lines(e, src, dash_col + 2 + indent_unit));
    }
    for (size_t i = 0; i < fields.size(); ++i) {
      lines.push_back((i == 0 ? spaces(dash_col) + "- " : field_indent) + fields[i]);
    }
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) out += (i ? "\n" : "") + lines[i];
  return out;
}

std::string render_flow_entry(const EntryPlan& e, const SourceText& src, bool json) {
  const auto key = [json](const char* name) {
    return json ? fmt::format("\"{}\": ", name) : fmt::format("{}: ", name);
  };
  std::string out = "{";
  if (!e.parent_class.empty()) out += key("parent_class") + e.parent_class + ", ";
  out += key("quantizer_name") + e.name;
  if (!e.enable.empty()) out += ", " + key("enable") + e.enable;
  if (e.cfg_form != CfgForm::None) out += ", " + key("cfg") + flow_cfg_text(e, src);
  return out + "}";
}

}  // namespace qcfg::migrations
