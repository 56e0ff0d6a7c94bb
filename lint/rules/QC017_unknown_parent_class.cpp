// QC017: a `parent_class` that is not a ModelOpt registry key: validation accepts it, applying
// the entry fails.
#include <fmt/format.h>

#include <algorithm>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class UnknownParentClass final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC017",
        "unknown-parent-class",
        Severity::Error,
        "`parent_class` names no class of ModelOpt's quantization registry",
        "`parent_class` is checked only when ModelOpt applies the entry: an unknown key raises "
        "\"parent_class '...' not found in QuantModuleRegistry\" after every earlier entry was "
        "already applied. ModelOpt registers 28 `nn.*` keys unconditionally (`nn.Linear`, "
        "`nn.Conv2d`, `nn.Embedding`, `nn.LayerNorm`, ...); plugin keys (`hf.*`, Megatron, "
        "Transformer Engine) exist only when their plugin is loaded. Without a model this rule "
        "reports `nn.*` keys that are not registered (a misspelling such as `nn.linear`, or an "
        "unsupported module such as `nn.RMSNorm`); with `--model`/`--inventory`, QC000 reports "
        "every key the model does not know, as ModelOpt would.",
        "quant_cfg:\n  - parent_class: nn.linear\n    quantizer_name: '*input_quantizer'\n    "
        "enable: false\n",
        "quant_cfg:\n  - parent_class: nn.Linear\n    quantizer_name: '*input_quantizer'\n    "
        "enable: false\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    if (ctx.inventory) return;  // resolution reports it (QC000)
    const std::vector<std::string>& keys = resolver::builtin_registry_keys();
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc) || !has_parent_filter(e)) continue;
        const std::string& key = *e.parent_class;
        if (key.rfind("nn.", 0) != 0 || std::find(keys.begin(), keys.end(), key) != keys.end())
          continue;
        Finding& f = out.report(
            e.loc,
            fmt::format("parent_class '{}' is not in ModelOpt's QuantModuleRegistry; ModelOpt "
                        "fails when it applies this entry",
                        key),
            e.loc);
        for (const std::string& k : keys)
          if (ascii_lower(k) == ascii_lower(key))
            f.diag.notes.push_back("did you mean '" + k + "'?");
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc017_rule() {
  static const UnknownParentClass rule;
  return rule;
}

}  // namespace qcfg::lint
