// QC021: `block_sizes.type` other than exactly `static`/`dynamic`: silently static.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class BlockSizesType final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC021",
        "block-sizes-type",
        Severity::Warning,
        "`block_sizes.type` is neither `static` nor `dynamic`; ModelOpt quantizes statically",
        "ModelOpt does not validate the special keys of `block_sizes`. It compares `type` with "
        "the exact string `dynamic`; anything else — `Dynamic`, `DYNAMIC`, a typo, a boolean — "
        "is accepted and means static block quantization, which needs calibrated per-block "
        "amax and, for FP formats other than E4M3/E2M1, is rejected only at run time.",
        "quant_cfg:\n  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: Dynamic, scale_bits: [4, 3]}}\n",
        "quant_cfg:\n  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc)) continue;
        for (const QuantizerAttributes& a : e.attributes_set) {
          const AttributeField& type = a.blocks.type_field;
          if (!type.present || a.blocks.type == "static" || a.blocks.type == "dynamic") continue;
          out.report(here_or_entry(ctx, type.loc, e),
                     fmt::format("`block_sizes.type: {}` is not `dynamic`; ModelOpt silently "
                                 "quantizes these blocks statically",
                                 type.repr),
                     e.loc);
        }
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc021_rule() {
  static const BlockSizesType rule;
  return rule;
}

}  // namespace qcfg::lint
