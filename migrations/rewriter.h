// The source-text rewriter behind migrate_text: walks the documents read from one file, plans
// the canonical entries of every literal legacy node (shared/spec/quant_cfg.md §4.1-4.2, the same
// rules the normalizer applies) and turns them into text edits in the file's own layout.
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/source.h"
#include "compiler/value.h"
#include "migrations/entry_plan.h"
#include "migrations/migrate.h"
#include "migrations/source_text.h"

namespace qcfg::migrations {

class Rewriter {
 public:
  Rewriter(const SourceFile& file, bool json);

  // Every mapping key `quant_cfg` below `node` (recipes, QuantizeConfig files).
  void visit_for_quant_cfg(const Value& node, size_t limit);
  // A `quant_cfg` value: a legacy flat dict or a list that may hold legacy items.
  void migrate_quant_cfg(const Value& value, size_t limit, size_t parent_key_col);
  // A whole legacy flat dict (the value of quant_cfg, or a bare file). `parent_key_col` is the
  // column of the key holding it, kNoOffset for a file's root.
  void migrate_flat_dict(const Value& map, size_t limit, size_t parent_key_col);
  void migrate_list(const Value& list, size_t limit);
  // Renames the key of `entry` whose text is `from` to `to` (ptq_cfg, quantizer_path).
  void rename_key(const MapEntry& entry, std::string_view from, std::string_view to,
                  const char* rule_id, std::string summary);
  // quantizer_path in an entry mapping (list item or entry snippet).
  void fix_quantizer_path(const Value& entry);

  const SourceText& source() const { return src_; }
  std::vector<TextEdit>& edits() { return edits_; }
  std::vector<Diagnostic>& warnings() { return warnings_; }

 private:
  struct Range {
    size_t begin = kNoOffset;
    size_t end = kNoOffset;
  };

  size_t offset_of(const Value& v) const { return src_.offset(v.loc()); }
  size_t pair_limit(const Value& map, size_t i, size_t map_limit) const;
  size_t item_limit(const Value& list, size_t i, size_t list_limit) const;
  size_t dash_before(size_t item_off) const;
  Range node_range(const Value& v, size_t limit, bool in_flow) const;
  bool keys_in_source_order(const Value& map, Range range) const;
  bool starts_line(size_t off) const;
  size_t flow_pair_end(const MapEntry& pair, size_t limit) const;
  std::string key_text(const MapEntry& pair, bool in_flow) const;
  std::string scalar_text(const Value& v, bool in_flow) const;

  bool plan_pair(const MapEntry& pair, size_t value_limit, bool in_flow, size_t position,
                 std::vector<EntryPlan>& out);
  bool plan_scoped(const MapEntry& pair, size_t value_limit, bool in_flow,
                   std::vector<EntryPlan>& out);
  bool plan_mapping_value(const Value& value, size_t value_limit, bool in_flow, EntryPlan& plan);
  bool plan_list_value(const Value& value, size_t value_limit, bool in_flow, EntryPlan& plan);
  void carry_comments(const MapEntry& pair, size_t value_end, size_t prev_end, bool in_flow,
                      EntryPlan& plan) const;
  void migrate_list_item(const Value& list, size_t index, size_t limit, bool list_flow);
  std::string join_flow_entries(const std::vector<EntryPlan>& plans, Range range,
                                size_t item_col) const;

  void warn(SourceLocation loc, std::string message, const char* rule_id);
  void add_edit(Range range, std::string replacement, SourceLocation loc, const char* rule_id,
                std::string summary);

  const SourceFile& file_;
  SourceText src_;
  bool json_;
  size_t indent_unit_ = 2;
  bool indentless_sequences_ = false;
  char quote_ = '\'';
  std::vector<TextEdit> edits_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace qcfg::migrations
