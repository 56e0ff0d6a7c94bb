// QC009: `rotate_back` together with `fake_quant: false`: ModelOpt raises at the first forward.
#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class RotateBackRealQuant final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC009",
        "rotate-back-real-quant",
        Severity::Error,
        "`rotate.mode: rotate_back` with `fake_quant: false` fails when the model runs",
        "`rotate_back` computes H(Q(H(x))): it quantizes in the rotated basis and rotates the "
        "result back. Real quantization (`fake_quant: false`) returns packed codes, which live "
        "in the rotated basis and cannot be rotated back, so ModelOpt raises a ValueError at "
        "the first forward of an enabled quantizer — validation accepts the config, so the "
        "error only shows up after calibration has started. Use fake quantization, or `rotate` "
        "mode with a rotated partner (QC012).",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg:\n      num_bits: [2, 1]\n"
        "      block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}\n      fake_quant: false\n"
        "      rotate: {enable: true, mode: rotate_back}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg:\n      num_bits: [2, 1]\n"
        "      block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}\n"
        "      rotate: {enable: true, mode: rotate_back}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc) || !e.enable) continue;
        for (const QuantizerAttributes& a : e.attributes) {
          const Rotation& rot = a.rotation;
          if (!rot.enabled || !rot.rotate_back || a.fake_quant != false) continue;
          const SourceLocation fake = a.fake_quant_field.loc;
          out.report(best_loc({ctx.in_this_file(fake) ? fake : SourceLocation{}, e.cfg_loc, e.loc}),
                     "`rotate_back` with `fake_quant: false`: ModelOpt raises a ValueError at the "
                     "first forward (real-quant codes cannot be rotated back); use fake quant or "
                     "`rotate` mode",
                     e.loc);
        }
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc009_rule() {
  static const RotateBackRealQuant rule;
  return rule;
}

}  // namespace qcfg::lint
