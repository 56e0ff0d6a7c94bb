// QC004: `enable` written inside `cfg` (or a sequential item): ModelOpt ignores it.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class CfgEnableIgnored final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC004",
        "cfg-enable-ignored",
        Severity::Error,
        "`enable` inside `cfg` is ignored; the entry's own `enable` decides",
        "When ModelOpt applies an entry with a `cfg`, it overwrites the attribute `enable` with "
        "the entry's `enable` (default true). An `enable` written inside `cfg`, or inside an "
        "item of a sequential cfg, therefore never has an effect: `cfg: {num_bits: 8, enable: "
        "false}` yields an enabled INT8 quantizer. (In the legacy dict form `enable` is taken "
        "out of the value and does work; this rule looks at the list form and at sequential "
        "items.)",
        "quant_cfg:\n  - quantizer_name: '*lm_head*'\n    cfg: {num_bits: 8, enable: false}\n",
        "quant_cfg:\n  - quantizer_name: '*lm_head*'\n    enable: false\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc)) continue;
        for (const Value* item : cfg_set_items(e)) {
          const Value* enable = item->find("enable");
          if (!enable) continue;
          const SourceLocation at = ctx.in_this_file(enable->loc()) ? enable->loc() : e.loc;
          out.report(at,
                     fmt::format("`cfg.enable` has no effect; the quantizer ends up {} (the "
                                 "entry's own `enable` decides). Write `enable` on the entry",
                                 e.enable ? "enabled" : "disabled"),
                     e.loc);
        }
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc004_rule() {
  static const CfgEnableIgnored rule;
  return rule;
}

}  // namespace qcfg::lint
