// QC030: a num_bits or scale_bits value ModelOpt accepts but that no quantization format has.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

std::optional<std::string> num_bits_problem(const QuantizerAttributes& a) {
  // Float elements are checked by ModelOpt's validator (QC000); integers only for being > 0.
  if (!a.int_bits) return std::nullopt;
  const int64_t b = *a.int_bits;
  if (b < 1 || (b >= 2 && b <= 8)) return std::nullopt;
  return fmt::format("`num_bits: {}` is no integer format (INT2..INT8)", a.num_bits_field.repr);
}

std::optional<std::string> scale_bits_problem(const QuantizerAttributes& a) {
  const std::optional<BitsPair>& em = a.blocks.scale_bits;
  const std::string& scale = a.blocks.scale_bits_field.repr;
  if (!em) return std::nullopt;
  if (*em != BitsPair(4, 3) && *em != BitsPair(8, 0))
    return fmt::format("`scale_bits: {}`: block scales are E4M3 (4, 3) (NVFP4) or E8M0 (8, 0) (MX)",
                       scale);
  if (a.int_bits && a.format() != AttributeFormat::mxint8)
    return fmt::format(
        "`scale_bits: {}` on integer `num_bits: {}`: no integer format has quantized block "
        "scales (only MXINT8: num_bits 8, dynamic blocks, scale_bits (8, 0))",
        scale, a.num_bits_field.repr);
  return std::nullopt;
}

class ValueWithoutFormat final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC030",
        "value-without-format",
        Severity::Warning,
        "a num_bits or scale_bits value that no quantization format has",
        "ModelOpt checks that an integer `num_bits` is positive and that a float one is a "
        "known element, but not that an integer is a format anything implements, nor what "
        "`block_sizes.scale_bits` says: `num_bits: 12`, `num_bits: 1` or "
        "`num_bits: 100000000000000000000000000000000` load fine, then fake quantization "
        "runs a format no kernel, checkpoint layout or serving engine has, and `qcfg ptq` "
        "refuses it late. Integer formats are INT2..INT8; block scales are E4M3 (NVFP4) or "
        "E8M0 (MX), and on an integer format only MXINT8 has them. `effective_bits` outside (0, "
        "16] and float elements other than FP8, "
        "FP6 and FP4 are refused by ModelOpt itself (QC000); block types and dynamic-block "
        "axes are QC021 and QC026.",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 12, axis: 0}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs)
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc)) continue;
        for (const QuantizerAttributes& a : e.attributes_set) check_attributes(ctx, e, a, out);
      }
  }

 private:
  static void check_attributes(const LintContext& ctx, const QuantizerEntry& e,
                               const QuantizerAttributes& a, Reporter& out) {
    auto report = [&](const AttributeField& at, const std::string& message) {
      out.report(here_or_entry(ctx, at.loc, e), message, e.loc);
    };
    if (!a.num_bits_field.present) return;
    if (auto problem = num_bits_problem(a)) report(a.num_bits_field, *problem);
    if (auto problem = scale_bits_problem(a)) report(a.blocks.scale_bits_field, *problem);
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc030_rule() {
  static const ValueWithoutFormat rule;
  return rule;
}

}  // namespace qcfg::lint
