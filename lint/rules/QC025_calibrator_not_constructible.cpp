// QC025: a list `calibrator`: validates, but ModelOpt cannot construct it when it applies it.
#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class CalibratorNotConstructible final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC025",
        "calibrator-not-constructible",
        Severity::Error,
        "a list `calibrator` passes validation but fails when ModelOpt applies the entry",
        "`calibrator` accepts `max`, `histogram`, a callable or a tuple. A YAML/JSON list "
        "becomes a tuple and validates, but when the entry is applied ModelOpt calls its "
        "first item as a calibrator class with the rest as arguments; from a config file the "
        "first item is a string, so applying fails (TypeError or an assertion on the "
        "argument shape) after earlier entries were already applied. Use `max` or "
        "`histogram`.",
        "quant_cfg:\n  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: 8, calibrator: "
        "[histogram, {num_bins: 2048}]}\n",
        "quant_cfg:\n  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: 8, calibrator: "
        "histogram}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc)) continue;
        for (const Value* attrs : cfg_set_items(e)) {
          const Value* cal = attrs->find("calibrator");
          if (!cal || !cal->is_list()) continue;
          out.report(ctx.in_this_file(cal->loc()) ? cal->loc() : e.loc,
                     "a list `calibrator` validates, but ModelOpt cannot construct it from a "
                     "config file and fails when it applies this entry; use `max` or "
                     "`histogram`",
                     e.loc);
        }
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc025_rule() {
  static const CalibratorNotConstructible rule;
  return rule;
}

}  // namespace qcfg::lint
