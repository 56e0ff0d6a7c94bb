// QC026: dynamic block quantization on an axis other than the last.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class DynamicBlockAxis final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC026",
        "dynamic-block-axis",
        Severity::Warning,
        "dynamic block quantization on an axis other than the last (-1)",
        "ModelOpt's validator only checks that dynamic block quantization has exactly one "
        "block axis, despite its message (\"only supports quantization last axis\"): `{0: 32, "
        "type: dynamic}` passes. The dynamic block kernels (MX, NVFP4) quantize along the last "
        "dimension; write the block axis as `-1`.",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {0: 16, type: dynamic, scale_bits: [4, 3]}}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc)) continue;
        for (const QuantizerAttributes& a : e.attributes_set) check_blocks(a, e, ctx, out);
      }
    }
  }

 private:
  static void check_blocks(const QuantizerAttributes& a, const QuantizerEntry& e,
                           const LintContext& ctx, Reporter& out) {
    if (!a.dynamic_blocks()) return;
    for (const auto& [axis, at] : a.blocks.axis_locs) {
      if (axis == -1) continue;
      out.report(here_or_entry(ctx, at, e),
                 fmt::format("dynamic block quantization along axis {}: it is meant for the last "
                             "axis (-1)",
                             axis),
                 e.loc);
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc026_rule() {
  static const DynamicBlockAxis rule;
  return rule;
}

}  // namespace qcfg::lint
