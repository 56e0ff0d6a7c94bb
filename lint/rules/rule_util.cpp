#include "lint/rules/rule_util.h"

#include <fmt/format.h>

#include "resolver/attributes.h"

namespace qcfg::lint {

SourceLocation best_loc(std::initializer_list<SourceLocation> candidates) {
  for (const SourceLocation& l : candidates) {
    if (l.known()) return l;
  }
  return candidates.size() ? *candidates.begin() : SourceLocation{};
}

std::string entry_label(const QuantizerEntry& e) {
  if (!has_parent_filter(e)) return fmt::format("'{}'", e.quantizer_name);
  return fmt::format("'{}' (parent_class {})", e.quantizer_name, *e.parent_class);
}

std::string place(const SourceLocation& loc, const LintContext& ctx) {
  if (!loc.known()) return "an entry without a location";
  if (ctx.in_this_file(loc)) return fmt::format("line {}", loc.line);
  return loc.str();
}

bool has_parent_filter(const QuantizerEntry& e) {
  return e.parent_class && !e.parent_class->empty();
}

bool parent_covers(const QuantizerEntry& later, const QuantizerEntry& earlier) {
  if (!has_parent_filter(later)) return true;
  return has_parent_filter(earlier) && *later.parent_class == *earlier.parent_class;
}

std::vector<const Value*> cfg_set_items(const QuantizerEntry& e) {
  std::vector<const Value*> out;
  if (e.cfg_kind == CfgKind::Single && e.cfg_set.is_map()) out.push_back(&e.cfg_set);
  if (e.cfg_kind == CfgKind::Sequential)
    for (const Value& v : e.cfg_set.items())
      if (v.is_map()) out.push_back(&v);
  return out;
}

Rotation rotation_of(const Value& attributes) {
  return read_quantizer_attributes(attributes).rotation;
}

const QuantizerAttributes* single_attributes(const QuantizerEntry& e) {
  return e.cfg_kind == CfgKind::Single && !e.attributes.empty() ? &e.attributes.front() : nullptr;
}

SourceLocation here_or_entry(const LintContext& ctx, const SourceLocation& at,
                             const QuantizerEntry& e) {
  return ctx.in_this_file(at) ? at : e.loc;
}

std::string leaf_of(const std::string& name) {
  const size_t dot = name.rfind('.');
  return dot == std::string::npos ? name : name.substr(dot + 1);
}

std::vector<std::vector<uint32_t>> matches_by_quantizer(const resolver::Resolution& r) {
  std::vector<std::vector<uint32_t>> out(r.quantizers.size());
  for (size_t i = 0; i < r.quantizers.size(); ++i) out[i] = resolver::matched_entries(r, i);
  return out;
}

std::string ascii_lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

std::string name_sample(const std::vector<std::string>& names, size_t shown) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < shown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > shown) out += fmt::format(" and {} more", names.size() - shown);
  return out;
}

void report_by_entry(
    const LintContext& ctx, const ConfigUnderLint& c, const FindingsByEntry& by_entry,
    Reporter& out,
    const std::function<std::string(const std::string&, size_t, const std::string&)>& message) {
  for (const auto& [entry, names] : by_entry) {
    const QuantizerEntry& e = (*c.entries)[static_cast<size_t>(entry)];
    if (!ctx.in_this_file(e.loc)) continue;
    out.report(best_loc({e.cfg_loc, e.loc}),
               message(entry_label(e), names.size(), name_sample(names, 2)), e.loc);
  }
}

SourceLocation config_anchor(const LintContext& ctx, const ConfigUnderLint& c) {
  if (ctx.documents.empty()) return {};
  const Value& doc = ctx.documents.front();
  const std::string top = c.where.substr(0, c.where.find('.'));
  if (doc.is_map())
    if (const MapEntry* section = doc.find_entry(top)) return section->key.loc();
  return doc.loc();
}

void report_by_entry_or_import(
    const LintContext& ctx, const ConfigUnderLint& c, const FindingsByEntry& by_entry,
    Reporter& out,
    const std::function<std::string(const std::string&, size_t, const std::string&)>& message) {
  // Entries of this file: one finding each, at the entry. Imported ones: one finding at the
  // config, naming every entry with its place.
  std::vector<std::string> imported_labels, imported_names;
  for (const auto& [entry, names] : by_entry) {
    const QuantizerEntry& e = (*c.entries)[static_cast<size_t>(entry)];
    if (ctx.in_this_file(e.loc)) {
      out.report(best_loc({e.cfg_loc, e.loc}),
                 message(entry_label(e), names.size(), name_sample(names, 2)), e.loc);
      continue;
    }
    imported_labels.push_back(entry_label(e) + " (" + e.loc.str() + ")");
    imported_names.insert(imported_names.end(), names.begin(), names.end());
  }
  if (imported_labels.empty()) return;
  std::string labels;
  for (const std::string& l : imported_labels) labels += (labels.empty() ? "" : ", ") + l;
  const SourceLocation at = config_anchor(ctx, c);
  out.report(at, message(labels, imported_names.size(), name_sample(imported_names, 2)), at);
}

}  // namespace qcfg::lint
