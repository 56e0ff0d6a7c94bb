// QC022: an empty item in a sequential cfg: a full INT8 per-tensor stage.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class SequentialDefaultItem final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC022",
        "sequential-default-item",
        Severity::Warning,
        "an empty `{}` item in a sequential cfg is a full INT8 per-tensor stage",
        "A list `cfg` turns the quantizer into a SequentialQuantizer with one stage per item. "
        "An empty item `{}` is not a placeholder: it is a stage with every attribute at its "
        "default, i.e. INT8 per-tensor with max calibration. (A cfg made only of empty items is "
        "rejected; mixed with real items it passes silently.)",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg:\n      - {num_bits: 4, "
        "block_sizes: {-1: 128}}\n      - {}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg:\n      - {num_bits: 4, "
        "block_sizes: {-1: 128}}\n      - {num_bits: [4, 3]}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc) || e.cfg_kind != CfgKind::Sequential) continue;
        const std::vector<Value>& items = e.cfg_set.items();
        for (size_t k = 0; k < items.size(); ++k) {
          if (!items[k].is_map() || items[k].size() != 0) continue;
          out.report(ctx.in_this_file(items[k].loc()) ? items[k].loc() : e.loc,
                     fmt::format("sequential item {} is empty: a stage with every attribute at "
                                 "its default (INT8 per-tensor)",
                                 k),
                     e.loc);
        }
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc022_rule() {
  static const SequentialDefaultItem rule;
  return rule;
}

}  // namespace qcfg::lint
