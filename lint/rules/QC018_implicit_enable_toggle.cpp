// QC018: forms that look like a config but are an enable-only `true` toggle.
#include "lint/raw_view.h"
#include "lint/rule.h"

namespace qcfg::lint {
namespace {

// The legacy value of a pair or one-key item.
const Value* legacy_value(const RawEntryRef& e) {
  if (e.pair) return &e.pair->value;
  if (e.item->is_map() && e.item->size() == 1) return &e.item->entries()[0].value;
  return nullptr;
}

// null, {}, {enable: true}, {enable: null}: ModelOpt turns these into `cfg: null`, enable true.
bool legacy_toggle(const Value& v) {
  if (v.is_null()) return true;
  if (!v.is_map()) return false;
  if (v.size() == 0) return true;
  const Value* enable = v.find("enable");
  return v.size() == 1 && enable && (enable->is_null() || (enable->is_bool() && enable->as_bool()));
}

class ImplicitEnableToggle final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC018",
        "implicit-enable-toggle",
        Severity::Warning,
        "this entry only switches quantizers on with their current attributes",
        "An entry without a cfg only flips the enable switch and keeps every other attribute. "
        "Some spellings make that easy to miss: an explicit `cfg: null`, and in the legacy "
        "dict form a `null` or `{}` value, `{enable: true}` or `{enable: null}`. All of them "
        "are enable-only `true` toggles: the quantizers keep what earlier entries (or "
        "ModelOpt's initial INT8 state) gave them, output quantizers included. Write "
        "`enable: true` without `cfg` when that is the intent, or give the cfg that was meant.",
        "quant_cfg:\n  - quantizer_name: '*lm_head*'\n    cfg: null\n",
        "quant_cfg:\n  - quantizer_name: '*lm_head*'\n    enable: true\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const RawQuantCfg& q : ctx.raw_quant_cfgs) {
      for (const RawEntryRef& e : raw_entries(q)) {
        if (e.is_new_format()) {
          check_new_format(*e.item, out);
        } else if (const Value* v = legacy_value(e); v && legacy_toggle(*v)) {
          out.report(e.loc(),
                     "this legacy value is an enable-only toggle: matching quantizers are "
                     "switched on with their current attributes (write `enable: true`, or the "
                     "cfg you meant)",
                     e.loc());
        }
      }
    }
  }

 private:
  static void check_new_format(const Value& item, Reporter& out) {
    const MapEntry* cfg = item.find_entry("cfg");
    const Value* enable = item.find("enable");
    if (!cfg || !cfg->value.is_null()) return;
    if (enable && enable->is_bool() && !enable->as_bool()) return;
    out.report(cfg->key.loc(),
               "`cfg: null` makes this an enable-only toggle: matching quantizers are switched "
               "on with their current attributes (drop `cfg`, or give the cfg you meant)",
               item.loc());
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc018_rule() {
  static const ImplicitEnableToggle rule;
  return rule;
}

}  // namespace qcfg::lint
