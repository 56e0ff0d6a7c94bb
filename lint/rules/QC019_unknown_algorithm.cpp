// QC019: a calibration algorithm ModelOpt does not know; QuantizeConfig accepts any value and
// mtq.calibrate fails.
#include <fmt/format.h>

#include <string>

#include "lint/rule.h"
#include "schema/calibration_methods.h"

namespace qcfg::lint {
namespace {

bool known(const std::string& m) { return find_calibration_method(m) != nullptr; }

class UnknownAlgorithm final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC019",
        "unknown-algorithm",
        Severity::Error,
        "the calibration algorithm is not one ModelOpt knows",
        "QuantizeConfig does not validate `algorithm`: any string, any mapping and lists of "
        "them pass, and the name is looked up only when `mtq.calibrate` runs (\"Algorithm X not "
        "found in CalibrateModeRegistry\"), after the model was loaded and converted. Known "
        "methods: max, mse, local_hessian, smoothquant, awq_lite, awq_clip, awq_full, "
        "svdquant, gptq, nvfp4_act_headroom, lsq (and null for no calibration). A mapping "
        "needs a `method` key.",
        "algorithm: awq\nquant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: "
        "{num_bits: 4, block_sizes: {-1: 128}}\n",
        "algorithm: awq_lite\nquant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: "
        "{num_bits: 4, block_sizes: {-1: 128}}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.config || c.config->algorithm_is_default) continue;
      const Value& a = c.config->algorithm;
      if (a.is_list()) {
        for (const Value& item : a.items()) check_one(item, ctx, out);
      } else {
        check_one(a, ctx, out);
      }
    }
  }

 private:
  static void check_one(const Value& a, const LintContext& ctx, Reporter& out) {
    if (!ctx.in_this_file(a.loc())) return;
    if (a.is_string() && !known(a.as_string())) {
      out.report(a.loc(), fmt::format("unknown calibration method '{}' (known: {})", a.as_string(),
                                      calibration_method_list()));
    } else if (a.is_map()) {
      const Value* m = a.find("method");
      if (!m) {
        out.report(a.loc(),
                   "an algorithm mapping needs a `method` key (ModelOpt raises "
                   "KeyError when it calibrates)");
      } else if (m->is_string() && !known(m->as_string())) {
        out.report(m->loc(), fmt::format("unknown calibration method '{}' (known: {})",
                                         m->as_string(), calibration_method_list()));
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc019_rule() {
  static const UnknownAlgorithm rule;
  return rule;
}

}  // namespace qcfg::lint
