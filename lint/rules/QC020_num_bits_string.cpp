// QC020: `num_bits` given as a string without a backend: ModelOpt takes it as a custom format name.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class NumBitsString final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC020",
        "num-bits-string",
        Severity::Error,
        "`num_bits` is a string: ModelOpt treats it as a custom-backend format, not a number",
        "`num_bits` accepts an int, an (E, M) pair, or any string; a string is meant for custom "
        "backends. ModelOpt's loader converts `eXmY` strings to (X, Y) only in YAML files, so "
        "in a JSON file `\"num_bits\": \"e4m3\"` stays a string, and a quoted number such as "
        "`num_bits: \"8\"` stays a string in YAML too: validation passes, every numeric check "
        "is skipped, and the quantizer does not run the format the text names. Write "
        "`num_bits: e4m3` in YAML, `[4, 3]` in JSON, and integers unquoted.",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: \"8\", axis: "
        "0}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc)) continue;
        for (const QuantizerAttributes& a : e.attributes_set) {
          if (!a.custom_bits || a.backend_set) continue;
          out.report(here_or_entry(ctx, a.num_bits_field.loc, e),
                     fmt::format("`num_bits: \"{}\"` is a string; ModelOpt treats it as a "
                                 "custom-backend format name, not a number format (write "
                                 "integers unquoted, and [E, M] in JSON)",
                                 *a.custom_bits),
                     e.loc);
        }
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc020_rule() {
  static const NumBitsString rule;
  return rule;
}

}  // namespace qcfg::lint
