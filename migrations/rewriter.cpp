#include "migrations/rewriter.h"

#include <fmt/format.h>

#include <algorithm>

namespace qcfg::migrations {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool is_scoped_key(const Value& key) {
  return key.is_string() && starts_with(key.as_string(), "nn.");
}

bool is_empty_mapping(const Value& v) { return v.is_map() && v.size() == 0; }

// ModelOpt's "empty cfg" (rule A of shared/spec/quant_cfg.md §4.3): [] or a list of {} only.
bool is_empty_cfg_list(const Value& v) {
  return std::all_of(v.items().begin(), v.items().end(), is_empty_mapping);
}

bool has_string_key_starting(const Value& map, std::string_view prefix) {
  return std::any_of(map.entries().begin(), map.entries().end(), [&](const MapEntry& e) {
    return e.key.is_string() && starts_with(e.key.as_string(), prefix);
  });
}

// The indentation step and sequence style the file already uses.
struct LayoutStyle {
  size_t unit = 2;
  bool indentless_sequences = false;
  char quote = '\'';  // the quote the file puts around patterns such as '*'
};

LayoutStyle detect_style(const SourceText& src) {
  LayoutStyle style;
  const size_t single = src.text().find("'*"), dbl = src.text().find("\"*");
  if (dbl < single) style.quote = '"';
  bool unit_found = false;
  size_t prev_indent = kNoOffset;
  bool prev_opens_block = false;
  for (size_t line = 0; line < src.size(); line = src.next_line(line)) {
    if (!src.is_blank_or_comment_line(line)) {
      const size_t indent = src.indentation(line);
      const std::string_view content =
          src.text().substr(line + indent, src.line_end(line) - line - indent);
      if (!unit_found && indent > 0 && indent <= 8) {
        style.unit = indent;
        unit_found = true;
      }
      if (prev_opens_block && starts_with(content, "- ") && indent == prev_indent) {
        style.indentless_sequences = true;
      }
      prev_indent = indent;
      prev_opens_block = !content.empty() && content.back() == ':';
    }
    if (src.line_end(line) >= src.size()) break;
  }
  return style;
}

}  // namespace

Rewriter::Rewriter(const SourceFile& file, bool json) : file_(file), src_(file.text), json_(json) {
  const LayoutStyle style = detect_style(src_);
  indent_unit_ = style.unit;
  indentless_sequences_ = style.indentless_sequences;
  quote_ = style.quote;
}

void Rewriter::warn(SourceLocation loc, std::string message, const char* rule_id) {
  Diagnostic d;
  d.severity = Severity::Warning;
  d.loc = loc.known() ? loc : SourceLocation{&file_, 1, 1};
  d.message = std::move(message);
  d.rule_id = rule_id;
  warnings_.push_back(std::move(d));
}

void Rewriter::add_edit(Range range, std::string replacement, SourceLocation loc,
                        const char* rule_id, std::string summary) {
  // The replacement is built with '\n'; a CRLF file gets CRLF line breaks.
  std::erase(replacement, '\r');
  if (src_.text().find("\r\n") != std::string_view::npos) {
    std::string crlf;
    for (char c : replacement) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    replacement = std::move(crlf);
  }
  edits_.push_back(
      TextEdit{range.begin, range.end, std::move(replacement), loc, rule_id, std::move(summary)});
}

// ---- where nodes end --------------------------------------------------------------------

size_t Rewriter::pair_limit(const Value& map, size_t i, size_t map_limit) const {
  if (i + 1 < map.entries().size()) {
    const size_t next = offset_of(map.entries()[i + 1].key);
    if (next != kNoOffset) return std::min(src_.line_begin(next), map_limit);
  }
  return map_limit;
}

size_t Rewriter::dash_before(size_t item_off) const {
  size_t i = item_off;
  while (i > 0) {
    const char c = src_.at(i - 1);
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
    --i;
  }
  return i > 0 && src_.at(i - 1) == '-' ? i - 1 : item_off;
}

size_t Rewriter::item_limit(const Value& list, size_t i, size_t list_limit) const {
  if (i + 1 < list.items().size()) {
    const size_t next = offset_of(list.items()[i + 1]);
    if (next != kNoOffset) return std::min(src_.line_begin(dash_before(next)), list_limit);
  }
  return list_limit;
}

Rewriter::Range Rewriter::node_range(const Value& v, size_t limit, bool in_flow) const {
  const size_t off = offset_of(v);
  if (off == kNoOffset) return {};
  const char c = src_.at(off);
  if (c == '{' || c == '[') return {off, src_.flow_node_end(off)};
  if (v.is_map() || v.is_list() || c == '|' || c == '>') return {off, src_.block_end(off, limit)};
  return {off, src_.scalar_end(off, in_flow)};
}

// Merge keys (`<<`) and duplicate keys make the value tree differ from the text; slicing the
// text then would not mean the same, so such mappings are left to the user.
bool Rewriter::keys_in_source_order(const Value& map, Range range) const {
  size_t previous = kNoOffset;
  const auto& entries = map.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t key = offset_of(entries[i].key);
    if (key == kNoOffset || key < range.begin || key >= range.end) return false;
    if (previous != kNoOffset && key <= previous) return false;
    previous = key;
    if (entries[i].value.is_null()) continue;
    const size_t value = offset_of(entries[i].value);
    if (value == kNoOffset || value <= key) return false;
    if (i + 1 < entries.size() && value >= offset_of(entries[i + 1].key)) return false;
  }
  return true;
}

// End of a `key: value` pair in a flow mapping; a null value may be implicit (`axis:`) or written
// (`axis: null`), and the reader's location of a null does not tell which.
size_t Rewriter::flow_pair_end(const MapEntry& pair, size_t limit) const {
  if (!pair.value.is_null()) return node_range(pair.value, limit, true).end;
  const size_t key_end = src_.scalar_end(offset_of(pair.key), true);
  const size_t colon = src_.after_colon(key_end);
  if (colon == kNoOffset) return key_end;
  size_t value = colon;
  while (src_.at(value) == ' ' || src_.at(value) == '\t') ++value;
  const char c = src_.at(value);
  if (c == ',' || c == '}' || c == '\n' || c == '\r' || c == '#' || c == '\0') return colon;
  return src_.scalar_end(value, true);
}

bool Rewriter::starts_line(size_t off) const {
  const size_t begin = src_.line_begin(off);
  return src_.text().substr(begin, off - begin).find_first_not_of(" \t-") == std::string::npos;
}

std::string Rewriter::key_text(const MapEntry& pair, bool in_flow) const {
  const size_t off = offset_of(pair.key);
  return std::string(src_.text().substr(off, src_.scalar_end(off, in_flow) - off));
}

std::string Rewriter::scalar_text(const Value& v, bool in_flow) const {
  const size_t off = offset_of(v);
  if (off == kNoOffset) return {};
  return std::string(src_.text().substr(off, src_.scalar_end(off, in_flow) - off));
}

// ---- planning entries (shared/spec/quant_cfg.md §4.2)
// --------------------------------------------------

void Rewriter::carry_comments(const MapEntry& pair, size_t value_end, size_t prev_end, bool in_flow,
                              EntryPlan& plan) const {
  const size_t key_off = offset_of(pair.key);
  std::vector<std::string> before;
  if (prev_end != kNoOffset) {
    const size_t gap_begin = src_.next_line(prev_end);
    const size_t gap_end = src_.line_begin(key_off);
    // A blank line that separated the pairs keeps separating the entries.
    if (gap_begin < gap_end && src_.has_blank_line(gap_begin, gap_end)) before.emplace_back();
    for (std::string_view c : src_.comment_lines(gap_begin, gap_end)) before.emplace_back(c);
  }
  const size_t key_end = src_.scalar_end(key_off, in_flow);
  const size_t colon = src_.after_colon(key_end);
  // The comment on the key's line: after a value written on that line, or after the colon.
  const bool value_on_key_line = value_end != kNoOffset &&
                                 src_.line_begin(value_end) == src_.line_begin(key_off) &&
                                 value_end > key_end;
  const size_t from = value_on_key_line ? value_end : colon;
  const std::string on_key_line = from == kNoOffset ? "" : std::string(src_.trailing_comment(from));
  // An `nn.*` key's comment joins its first entry, which may have a comment of its own.
  if (plan.name_comment.empty()) {
    plan.name_comment = on_key_line;
  } else if (!on_key_line.empty()) {
    before.push_back(on_key_line);
  }
  plan.comments_before.insert(plan.comments_before.begin(), before.begin(), before.end());
}

bool Rewriter::plan_mapping_value(const Value& value, size_t value_limit, bool in_flow,
                                  EntryPlan& plan) {
  const Range range = node_range(value, value_limit, in_flow);
  const Value* enable = value.find("enable");
  const bool flow = src_.at(range.begin) == '{';
  if (enable && !enable->is_null()) {
    const Range er = node_range(*enable, value_limit, in_flow || flow);
    if (er.begin == kNoOffset ||
        src_.text().substr(er.begin, er.end - er.begin).find('\n') != std::string_view::npos) {
      warn(enable->loc(), "this `enable` value spans lines; migrate this entry by hand",
           kRuleNotMigrated);
      return false;
    }
    plan.enable = std::string(src_.text().substr(er.begin, er.end - er.begin));
  }
  const size_t attributes = value.size() - (enable ? 1 : 0);
  if (attributes == 0) {
    // {enable: false} is enable-only false; {}, {enable: true}, {enable: null} only enable.
    if (plan.enable.empty()) plan.enable = "true";
    return true;
  }
  plan.cfg_form = flow ? CfgForm::Flow : CfgForm::Block;
  plan.cfg_source_indent = src_.column(range.begin);
  if (!enable) {
    plan.cfg_parts.push_back(flow ? Slice{range.begin, range.end}
                                  : Slice{src_.line_begin(range.begin), range.end});
    return true;
  }
  // `enable` moves to the entry: the cfg keeps every other pair, in order.
  if (!keys_in_source_order(value, range)) {
    warn(value.loc(), "this mapping uses a merge key (`<<`) or repeats a key; migrate it by hand",
         kRuleNotMigrated);
    return false;
  }
  plan.cfg_rebuilt = flow;
  const auto& entries = value.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (&entries[i].value == enable) continue;
    const size_t key = offset_of(entries[i].key);
    if (flow) {
      plan.cfg_parts.push_back({key, flow_pair_end(entries[i], range.end)});
    } else {
      const size_t end = i + 1 < entries.size() ? pair_limit(value, i, range.end) : range.end;
      plan.cfg_parts.push_back({src_.line_begin(key), end});
    }
  }
  return true;
}

bool Rewriter::plan_list_value(const Value& value, size_t value_limit, bool in_flow,
                               EntryPlan& plan) {
  if (is_empty_cfg_list(value)) {
    warn(value.loc(),
         "an empty sequential cfg is rejected by ModelOpt (\"must specify at least one quantizer "
         "attribute\"); give it attributes or use `enable: false`, then migrate",
         kRuleNotMigrated);
    return false;
  }
  for (const Value& item : value.items()) {
    if (const Value* e = item.is_map() ? item.find("enable") : nullptr) {
      warn(e->loc(),
           "`enable` inside a sequential cfg item has no effect in ModelOpt (before and after "
           "migration); the entry's `enable` decides",
           kRuleSequentialEnable);
    }
  }
  const Range range = node_range(value, value_limit, in_flow);
  const bool flow = src_.at(range.begin) == '[';
  plan.cfg_form = flow ? CfgForm::Flow : CfgForm::Block;
  plan.cfg_source_indent = src_.column(range.begin);
  plan.cfg_parts.push_back(flow ? Slice{range.begin, range.end}
                                : Slice{src_.line_begin(range.begin), range.end});
  return true;
}

bool Rewriter::plan_scoped(const MapEntry& pair, size_t value_limit, bool in_flow,
                           std::vector<EntryPlan>& out) {
  const Value& scoped = pair.value;
  if (!scoped.is_map() || scoped.size() == 0) {
    warn(pair.key.loc(),
         scoped.is_map() ? "this `nn.*` key scopes no quantizer, so ModelOpt ignores it; delete it"
                         : "an `nn.*` key must map quantizer names to configs (ModelOpt rejects "
                           "this value); fix it by hand",
         kRuleNotMigrated);
    return false;
  }
  const Range range = node_range(scoped, value_limit, in_flow);
  const bool flow = src_.at(range.begin) == '{';
  if (!keys_in_source_order(scoped, range)) {
    warn(scoped.loc(), "this mapping uses a merge key (`<<`) or repeats a key; migrate it by hand",
         kRuleNotMigrated);
    return false;
  }
  const std::string parent = key_text(pair, in_flow);
  const auto& entries = scoped.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const MapEntry& sub = entries[i];
    if (!sub.key.is_string() || !sub.value.is_map()) {
      warn(sub.key.loc(),
           "ModelOpt reads an `nn.*` sub-config with Python's dict(), which turns anything but "
           "a mapping into something else or an error; write it as a mapping, then migrate",
           kRuleNotMigrated);
      return false;
    }
    EntryPlan plan;
    plan.parent_class = parent;
    plan.name = key_text(sub, flow || in_flow);
    const size_t limit = pair_limit(scoped, i, range.end);
    if (!plan_mapping_value(sub.value, limit, flow || in_flow, plan)) return false;
    carry_comments(
        sub, node_range(sub.value, limit, flow || in_flow).end,
        i > 0 ? node_range(entries[i - 1].value, range.end, flow || in_flow).end : kNoOffset,
        flow || in_flow, plan);
    out.push_back(std::move(plan));
  }
  return true;
}

bool Rewriter::plan_pair(const MapEntry& pair, size_t value_limit, bool in_flow, size_t position,
                         std::vector<EntryPlan>& out) {
  if (!pair.key.is_string()) {
    warn(pair.key.loc(),
         fmt::format("a quantizer name must be a string, not {} ({}); ModelOpt rejects it",
                     pair.key.python_type(), pair.key.repr()),
         kRuleNotMigrated);
    return false;
  }
  if (is_scoped_key(pair.key)) return plan_scoped(pair, value_limit, in_flow, out);
  EntryPlan plan;
  if (pair.key.as_string() == "default") {
    plan.name = json_ ? "\"*\"" : std::string(1, quote_) + "*" + quote_;
    if (position > 0) {
      warn(pair.key.loc(),
           fmt::format("`default` is applied at its position (entry {}), after the rules it was "
                       "meant to precede, so it overrides them (ModelOpt renames it to '*' in "
                       "place); the migrated entry keeps that position: move it first if a "
                       "default was meant",
                       position),
           kRuleDefaultPosition);
    }
  } else {
    plan.name = key_text(pair, in_flow);
  }
  const Value& value = pair.value;
  bool ok = true;
  if (value.is_map()) {
    ok = plan_mapping_value(value, value_limit, in_flow, plan);
  } else if (value.is_null()) {
    plan.enable = "true";  // a null legacy value only enables (shared/spec/quant_cfg.md §4.2)
  } else if (value.is_list() && !value.is_tuple()) {
    ok = plan_list_value(value, value_limit, in_flow, plan);
  } else {
    warn(value.loc().known() ? value.loc() : pair.key.loc(),
         fmt::format("a legacy value must be a mapping, a list or null; ModelOpt rejects {} as a "
                     "cfg: fix it by hand",
                     value.repr()),
         kRuleNotMigrated);
    ok = false;
  }
  if (!ok) return false;
  out.push_back(std::move(plan));
  return true;
}

// ---- rewriting nodes -------------------------------------------------------------------------

std::string Rewriter::join_flow_entries(const std::vector<EntryPlan>& plans, Range range,
                                        size_t item_col) const {
  const bool multiline =
      src_.text().substr(range.begin, range.end - range.begin).find('\n') != std::string::npos;
  std::string out = "[";
  for (size_t i = 0; i < plans.size(); ++i) {
    if (multiline) {
      out += (i ? ",\n" : "\n") + std::string(item_col, ' ');
    } else if (i) {
      out += ", ";
    }
    out += render_flow_entry(plans[i], src_, json_);
  }
  if (multiline) out += "\n" + std::string(src_.indentation(range.end - 1), ' ');
  return out + "]";
}

void Rewriter::migrate_flat_dict(const Value& map, size_t limit, size_t parent_key_col) {
  const size_t off = offset_of(map);
  if (off == kNoOffset) return;
  const bool flow = src_.at(off) == '{';
  const Range range = node_range(map, limit, false);
  if (!keys_in_source_order(map, range) || (!flow && !starts_line(off))) {
    warn(map.loc(),
         "this legacy quant_cfg uses a merge key (`<<`), repeats a key, or shares its first line "
         "with other content; migrate it by hand",
         kRuleNotMigrated);
    return;
  }
  std::vector<EntryPlan> plans;
  const auto& entries = map.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t value_limit = pair_limit(map, i, range.end);
    const size_t before = plans.size();
    if (!plan_pair(entries[i], value_limit, flow, i, plans)) return;
    const size_t value_end = entries[i].value.is_null()
                                 ? kNoOffset
                                 : node_range(entries[i].value, value_limit, flow).end;
    const size_t prev_end =
        i == 0
            ? kNoOffset
            : (entries[i - 1].value.is_null()
                   ? offset_of(entries[i - 1].key)
                   : node_range(entries[i - 1].value, pair_limit(map, i - 1, range.end), flow).end);
    if (before < plans.size()) {
      carry_comments(entries[i], value_end, prev_end, flow, plans[before]);
    }
  }
  std::string replacement;
  Range edit = range;
  if (flow) {
    const size_t item_col = entries.empty() ? 0 : src_.column(offset_of(entries[0].key));
    replacement = join_flow_entries(plans, range, item_col);
  } else {
    const size_t key_col = src_.column(off);
    const size_t dash_col =
        parent_key_col != kNoOffset && indentless_sequences_ ? parent_key_col : key_col;
    const size_t unit = parent_key_col != kNoOffset && key_col > parent_key_col
                            ? key_col - parent_key_col
                            : indent_unit_;
    edit.begin = src_.line_begin(off);
    replacement = render_block_entries(plans, src_, dash_col, unit);
  }
  add_edit(edit, std::move(replacement), map.loc(), "legacy-quant-cfg",
           fmt::format("legacy dict quant_cfg rewritten as a list of {} entries", plans.size()));
}

void Rewriter::migrate_list_item(const Value& list, size_t index, size_t limit, bool list_flow) {
  const Value& item = list.items()[index];
  if (!item.is_map() || item.has("quantizer_name") || item.has("$import")) {
    if (item.is_map()) fix_quantizer_path(item);
    return;
  }
  if (item.has("quantizer_path")) return fix_quantizer_path(item);
  const bool scoped = has_string_key_starting(item, "nn.");
  if (item.size() != 1 && !scoped) return;  // ModelOpt rejects it; the checker says so
  const Range range = node_range(item, limit, list_flow);
  const bool flow = src_.at(range.begin) == '{';
  if (!keys_in_source_order(item, range)) {
    warn(item.loc(), "this item uses a merge key (`<<`) or repeats a key; migrate it by hand",
         kRuleNotMigrated);
    return;
  }
  std::vector<EntryPlan> plans;
  const auto& entries = item.entries();
  for (size_t i = 0; i < entries.size(); ++i) {
    const size_t value_limit = pair_limit(item, i, range.end);
    const size_t before = plans.size();
    if (!plan_pair(entries[i], value_limit, flow || list_flow, index + i, plans)) return;
    if (before < plans.size()) {
      const size_t value_end =
          entries[i].value.is_null()
              ? kNoOffset
              : node_range(entries[i].value, value_limit, flow || list_flow).end;
      carry_comments(entries[i], value_end, kNoOffset, flow || list_flow, plans[before]);
    }
  }
  if (plans.empty()) return;
  std::string replacement;
  Range edit = range;
  if (flow) {
    const size_t dash = dash_before(range.begin);
    for (size_t i = 0; i < plans.size(); ++i) {
      if (i > 0) {
        replacement += list_flow ? ", " : "\n" + std::string(src_.column(dash), ' ') + "- ";
      }
      replacement += render_flow_entry(plans[i], src_, json_);
    }
  } else {
    const size_t dash = dash_before(range.begin);
    if (dash == range.begin || !starts_line(dash)) {
      warn(item.loc(), "this item shares its line with other content; migrate it by hand",
           kRuleNotMigrated);
      return;
    }
    edit.begin = src_.line_begin(dash);
    replacement = render_block_entries(plans, src_, src_.column(dash), indent_unit_);
  }
  add_edit(edit, std::move(replacement), item.loc(), "legacy-quant-cfg",
           fmt::format("legacy item rewritten as {} entr{}", plans.size(),
                       plans.size() == 1 ? "y" : "ies"));
}

void Rewriter::migrate_list(const Value& list, size_t limit) {
  const size_t off = offset_of(list);
  if (off == kNoOffset) return;
  const bool flow = src_.at(off) == '[';
  for (size_t i = 0; i < list.items().size(); ++i) {
    migrate_list_item(list, i, item_limit(list, i, limit), flow);
  }
}

void Rewriter::migrate_quant_cfg(const Value& value, size_t limit, size_t parent_key_col) {
  if (value.is_map() && !value.has("$import")) {
    migrate_flat_dict(value, limit, parent_key_col);
  } else if (value.is_list() && !value.is_tuple()) {
    migrate_list(value, limit);
  }
}

void Rewriter::visit_for_quant_cfg(const Value& node, size_t limit) {
  if (node.is_map()) {
    const auto& entries = node.entries();
    for (size_t i = 0; i < entries.size(); ++i) {
      const size_t value_limit = pair_limit(node, i, limit);
      if (entries[i].key.is_string() && entries[i].key.as_string() == "quant_cfg") {
        migrate_quant_cfg(entries[i].value, value_limit, src_.column(offset_of(entries[i].key)));
      } else {
        visit_for_quant_cfg(entries[i].value, value_limit);
      }
    }
  } else if (node.is_list()) {
    for (size_t i = 0; i < node.items().size(); ++i) {
      visit_for_quant_cfg(node.items()[i], item_limit(node, i, limit));
    }
  }
}

void Rewriter::rename_key(const MapEntry& entry, std::string_view from, std::string_view to,
                          const char* rule_id, std::string summary) {
  const size_t off = offset_of(entry.key);
  if (off == kNoOffset) return;
  const size_t end = src_.scalar_end(off, json_);
  const size_t at = src_.text().substr(off, end - off).find(from);
  if (at == std::string_view::npos) return;
  add_edit({off + at, off + at + from.size()}, std::string(to), entry.key.loc(), rule_id,
           std::move(summary));
}

void Rewriter::fix_quantizer_path(const Value& entry) {
  const MapEntry* path = entry.find_entry("quantizer_path");
  if (!path) return;
  if (entry.has("quantizer_name")) {
    warn(path->key.loc(),
         "`quantizer_path` is not a field of a quant_cfg entry (ModelOpt rejects it as an extra "
         "key) and this entry already has `quantizer_name`: delete one of them",
         kRuleNotMigrated);
    return;
  }
  if (entry.size() < 2 || has_string_key_starting(entry, "nn.")) return;
  rename_key(*path, "quantizer_path", "quantizer_name", "quantizer-path-spelling",
             "`quantizer_path` renamed to `quantizer_name`");
  warn(path->key.loc(),
       "ModelOpt rejects this entry (`quantizer_path` is not an alias of `quantizer_name`); it "
       "is renamed, so the migrated entry takes effect where the original failed to load",
       kRuleOriginalInvalid);
}

}  // namespace qcfg::migrations
