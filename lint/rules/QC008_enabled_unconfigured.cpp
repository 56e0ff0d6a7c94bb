// QC008: quantizers that end up enabled although no cfg entry configured them: they run the
// initial state ModelOpt gives every quantizer (INT8).
#include <fmt/format.h>

#include <map>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class EnabledUnconfigured final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC008",
        "enabled-unconfigured",
        Severity::Warning,
        "quantizers end up enabled without any cfg: they run ModelOpt's initial INT8 state",
        "ModelOpt inserts a quantizer for every input, weight and output of every supported "
        "layer, INT8 and (except outputs) enabled. A quantizer that no `cfg` entry reaches "
        "keeps that state: either because no entry matches it at all (a config without a "
        "deny-all base `{quantizer_name: '*', enable: false}`), or because an enable-only "
        "entry switched it on (an output quantizer, or one a broad pattern re-enabled). Such "
        "quantizers quantize to INT8 per-tensor, which is rarely what the recipe meant. "
        "Reported once per enabling entry, and once for the quantizers no entry touched, with "
        "example names. Partial presets (snippet files) are not checked.",
        "# model: any\nquant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: "
        "[4, 3], axis: null}\n",
        "quant_cfg:\n  - quantizer_name: '*'\n    enable: false\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: [4, 3], axis: null}\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.resolution || c.partial) continue;
      const resolver::Resolution& r = *c.resolution;
      std::map<int32_t, std::vector<std::string>> by_entry;  // -1: touched by no entry
      for (size_t q = 0; q < r.quantizers.size(); ++q) {
        const resolver::QuantizerNode& n = r.quantizers[q].node;
        if (n.sequential || n.disabled || n.hard_disabled || n.last_cfg_entry >= 0) continue;
        by_entry[n.last_enable_entry].push_back(r.inventory->quantizers[q].name);
      }
      for (const auto& [entry, names] : by_entry) report(ctx, c, entry, names, out);
    }
  }

 private:
  static void report(const LintContext& ctx, const ConfigUnderLint& c, int32_t entry,
                     const std::vector<std::string>& names, Reporter& out) {
    if (entry >= 0) {
      const QuantizerEntry& e = (*c.entries)[static_cast<size_t>(entry)];
      if (!ctx.in_this_file(e.loc)) return;
      out.report(e.loc,
                 fmt::format("entry {} enables {} quantizer(s) that no cfg entry configured; "
                             "they run ModelOpt's initial INT8 state: {}",
                             entry_label(e), names.size(), name_sample(names)),
                 e.loc);
      return;
    }
    SourceLocation at = c.config ? c.config->loc : SourceLocation{};
    if (!ctx.in_this_file(at) && !c.entries->empty()) at = c.entries->front().loc;
    if (!ctx.in_this_file(at)) return;
    out.report(at, fmt::format("{} quantizer(s) are matched by no entry and stay enabled in "
                               "ModelOpt's initial INT8 state: {}; start with a deny-all entry "
                               "{{quantizer_name: '*', enable: false}}",
                               names.size(), name_sample(names)));
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc008_rule() {
  static const EnabledUnconfigured rule;
  return rule;
}

}  // namespace qcfg::lint
