// QC003: a legacy `default` key that is not first: ModelOpt renames it to `*` in place, so it
// overrides the rules written before it.
#include <fmt/format.h>

#include "lint/raw_view.h"
#include "lint/rule.h"

namespace qcfg::lint {
namespace {

const Value* default_key(const RawEntryRef& e) {
  if (e.pair)
    return e.pair->key.is_string() && e.pair->key.as_string() == "default" ? &e.pair->key : nullptr;
  if (e.item->is_map() && e.item->size() == 1) {
    const Value& key = e.item->entries()[0].key;
    if (key.is_string() && key.as_string() == "default") return &key;
  }
  return nullptr;
}

class LegacyDefaultNotFirst final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC003",
        "legacy-default-not-first",
        Severity::Error,
        "a legacy `default` key after other rules overrides them instead of preceding them",
        "In the legacy dict form, ModelOpt renames the key `default` to the pattern `*` where it "
        "stands; it does not move it first. Entries apply in order and later ones win, so a "
        "`default: {enable: false}` written last disables every quantizer, including the ones "
        "the rules above it configured. Python dicts keep insertion order, so the position in "
        "the file is the position that counts.",
        "quant_cfg:\n  '*weight_quantizer': {num_bits: 8, axis: 0}\n  default: {enable: "
        "false}\n",
        "quant_cfg:\n  - quantizer_name: '*'\n    enable: false\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const RawQuantCfg& q : ctx.raw_quant_cfgs) {
      if (q.single_entry) continue;
      const std::vector<RawEntryRef> entries = raw_entries(q);
      for (size_t i = 1; i < entries.size(); ++i) {
        const Value* key = default_key(entries[i]);
        if (!key) continue;
        out.report(key->loc(),
                   fmt::format("`default` is applied at its position (index {}), after the rules "
                               "it was meant to precede; it overrides them. Move it first or "
                               "migrate to the list format",
                               i),
                   entries[i].loc());
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc003_rule() {
  static const LegacyDefaultNotFirst rule;
  return rule;
}

}  // namespace qcfg::lint
