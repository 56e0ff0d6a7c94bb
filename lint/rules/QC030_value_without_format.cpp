// QC030: a num_bits or scale_bits value ModelOpt accepts but that no quantization format has.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"
#include "resolver/quant_format.h"

namespace qcfg::lint {
namespace {

std::optional<std::pair<int64_t, int64_t>> pair_of(const Value& v) {
  if (!v.is_list() || v.items().size() != 2 || !v.items()[0].is_int() || !v.items()[1].is_int())
    return std::nullopt;
  return std::pair<int64_t, int64_t>(v.items()[0].as_int(), v.items()[1].as_int());
}

bool known_element(std::pair<int64_t, int64_t> em) {
  // Every float element of a format (FP8 E4M3/E5M2, FP6, FP4 and the MX elements) is one of
  // the MX element set (shared/spec/numerics.md §4.1).
  return em.first >= 0 && em.first <= 8 && em.second >= 0 && em.second <= 8 &&
         resolver::is_mx_element({static_cast<int>(em.first), static_cast<int>(em.second)});
}

std::optional<std::string> num_bits_problem(const Value& bits) {
  if (bits.is_int()) {
    const int64_t b = bits.as_int();
    if (b >= 2 && b <= 8) return std::nullopt;
    return fmt::format("`num_bits: {}` is no integer format (INT2..INT8)", bits.repr());
  }
  const auto em = pair_of(bits);
  if (!em || known_element(*em)) return std::nullopt;
  return fmt::format("`num_bits: {}` is no float format (E4M3, E5M2, E2M1, E3M2, E2M3, ...)",
                     bits.repr());
}

std::optional<std::string> scale_bits_problem(const Value& bits) {
  const auto em = pair_of(bits);
  if (!em || *em == std::pair<int64_t, int64_t>(4, 3) || *em == std::pair<int64_t, int64_t>(8, 0))
    return std::nullopt;
  return fmt::format("`scale_bits: {}`: block scales are E4M3 [4, 3] (NVFP4) or E8M0 [8, 0] (MX)",
                     bits.repr());
}

class ValueWithoutFormat final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC030",
        "value-without-format",
        Severity::Warning,
        "a num_bits or scale_bits value that no quantization format has",
        "ModelOpt validates the type of `num_bits` and `block_sizes.scale_bits` but not their "
        "value: `num_bits: 12`, `num_bits: 100000000000000000000000000000000` or "
        "`num_bits: [7, 7]` load fine, then calibration, export or `qcfg ptq` fail much later "
        "(or fake quantization runs a format no kernel or checkpoint layout has). Integer "
        "formats are INT2..INT8, float elements those of FP8, FP6, FP4 and the MX formats "
        "(E4M3, E5M2, E3M2, E2M3, E2M1, ...), block scales E4M3 (NVFP4) or E8M0 (MX). "
        "`effective_bits` outside (0, 16] is refused by ModelOpt itself (QC000); block types "
        "and dynamic-block axes are QC021 and QC026.",
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
        for (const Value* attrs : cfg_set_items(e)) check_attributes(ctx, e, *attrs, out);
      }
  }

 private:
  static void check_attributes(const LintContext& ctx, const QuantizerEntry& e, const Value& attrs,
                               Reporter& out) {
    auto report = [&](const Value& at, const std::string& message) {
      out.report(ctx.in_this_file(at.loc()) ? at.loc() : e.loc, message, e.loc);
    };
    if (const Value* bits = attrs.find("num_bits"))
      if (auto problem = num_bits_problem(*bits)) report(*bits, *problem);
    const Value* blocks = attrs.find("block_sizes");
    const Value* scale = blocks && blocks->is_map() ? blocks->find("scale_bits") : nullptr;
    if (scale)
      if (auto problem = scale_bits_problem(*scale)) report(*scale, *problem);
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc030_rule() {
  static const ValueWithoutFormat rule;
  return rule;
}

}  // namespace qcfg::lint
