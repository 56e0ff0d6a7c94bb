// QC016: a configuration that only enables KV-cache quantizers but has no deny-all base: every
// other quantizer keeps ModelOpt's initial INT8 state.
#include <fmt/format.h>

#include <algorithm>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

bool is_kv_pattern(const std::string& p) {
  return p.find("bmm_quantizer") != std::string::npos ||
         ((p.find("k_proj") != std::string::npos || p.find("v_proj") != std::string::npos) &&
          p.find("output_quantizer") != std::string::npos);
}

// `{quantizer_name: '*', ...}` without a parent filter, disabling or configuring everything.
bool is_deny_all(const QuantizerEntry& e) {
  return e.quantizer_name == "*" && !has_parent_filter(e) &&
         (!e.enable || e.cfg_kind != CfgKind::None);
}

class KvPresetWithoutDenyAll final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC016",
        "kv-preset-without-deny-all",
        Severity::Warning,
        "a KV-cache-only config has no deny-all base: every other quantizer stays INT8",
        "KV-cache presets (`configs/ptq/presets/kv/*`, the `kv_*` units) only configure the "
        "attention BMM quantizers; they are meant to be combined with a model preset that "
        "starts from `{quantizer_name: '*', enable: false}`. Used on their own, every other "
        "quantizer ModelOpt inserts keeps its initial state: enabled INT8 on every linear "
        "layer's input and weight. Start the list with the deny-all base (the "
        "`configs/ptq/units/base_disable_all` unit) or combine the KV preset with a model "
        "preset. Snippet files and `auto_quantize.kv_cache` are partial by design and are not "
        "checked.",
        "quant_cfg:\n  - quantizer_name: '*[kv]_bmm_quantizer'\n    cfg: {num_bits: [4, 3]}\n",
        "quant_cfg:\n  - quantizer_name: '*'\n    enable: false\n  - quantizer_name: "
        "'*[kv]_bmm_quantizer'\n    cfg: {num_bits: [4, 3]}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (c.partial || c.entries->empty()) continue;
      if (std::any_of(c.entries->begin(), c.entries->end(), is_deny_all)) continue;
      const QuantizerEntry* first_kv = nullptr;
      bool only_kv = true;
      for (const QuantizerEntry& e : *c.entries) {
        if (!e.enable) continue;
        if (!is_kv_pattern(e.quantizer_name)) only_kv = false;
        if (!first_kv && is_kv_pattern(e.quantizer_name)) first_kv = &e;
      }
      if (!only_kv || !first_kv || !ctx.in_this_file(first_kv->loc)) continue;
      out.report(first_kv->loc,
                 fmt::format("this config only enables KV-cache quantizers ({}) and has no "
                             "deny-all base; every other quantizer stays enabled in ModelOpt's "
                             "initial INT8 state. Start with {{quantizer_name: '*', enable: "
                             "false}}",
                             entry_label(*first_kv)),
                 first_kv->loc);
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc016_rule() {
  static const KvPresetWithoutDenyAll rule;
  return rule;
}

}  // namespace qcfg::lint
