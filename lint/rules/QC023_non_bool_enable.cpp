// QC023: an entry's `enable` written as something other than a boolean.
#include <fmt/format.h>

#include "lint/raw_view.h"
#include "lint/rule.h"

namespace qcfg::lint {
namespace {

class NonBoolEnable final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC023",
        "non-bool-enable",
        Severity::Warning,
        "`enable` is not a boolean; ModelOpt coerces it",
        "The entry field `enable` is a lax pydantic boolean: `0`, `1`, `\"off\"`, `\"false\"`, "
        "`\"no\"`... are accepted and converted, while `null` is an error in the list form and "
        "is dropped (meaning true) in the legacy form. The coercion rules differ from YAML's "
        "and from the `cfg` rule that only a literal `false` rescues an empty cfg, so write "
        "`true` or `false`.",
        "quant_cfg:\n  - quantizer_name: '*lm_head*'\n    enable: \"off\"\n",
        "quant_cfg:\n  - quantizer_name: '*lm_head*'\n    enable: false\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const RawQuantCfg& q : ctx.raw_quant_cfgs) {
      for (const RawEntryRef& e : raw_entries(q)) {
        const Value* holder = e.is_new_format() ? e.item : nullptr;
        if (!holder && e.pair && e.pair->value.is_map()) holder = &e.pair->value;
        if (!holder && e.item && e.item->is_map() && e.item->size() == 1 &&
            e.item->entries()[0].value.is_map())
          holder = &e.item->entries()[0].value;
        const Value* enable = holder ? holder->find("enable") : nullptr;
        if (!enable || enable->is_bool() || (!e.is_new_format() && enable->is_null())) continue;
        out.report(enable->loc(),
                   fmt::format("`enable: {}` is not a boolean; ModelOpt coerces it — write true "
                               "or false",
                               enable->repr()),
                   e.loc());
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc023_rule() {
  static const NonBoolEnable rule;
  return rule;
}

}  // namespace qcfg::lint
