// QC001: quant_cfg written in a legacy dict form (flat mapping, one-key items, `nn.*` items).
#include "lint/raw_view.h"
#include "lint/rule.h"

namespace qcfg::lint {
namespace {

class LegacyFormat final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC001",
        "legacy-format",
        Severity::Warning,
        "quant_cfg uses a legacy dict form that ModelOpt deprecates",
        "ModelOpt still reads the legacy forms of `quant_cfg` (a flat mapping of pattern to "
        "config, one-key list items `{pattern: cfg}`, and `nn.*`-scoped items) but converts them "
        "with a DeprecationWarning, and the conversion has traps of its own: `default` keeps its "
        "position instead of going first (QC003), `enable` is split out of the value, and an "
        "empty value or `null` becomes an enable-only toggle (QC018). ModelOpt's own pre-commit "
        "hook rejects the legacy form in recipes. The list form with explicit `quantizer_name` "
        "says what happens.",
        "quant_cfg:\n  '*weight_quantizer': {num_bits: 8, axis: 0}\n  '*input_quantizer': "
        "{num_bits: 8}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n"
        "  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: 8}\n",
        "`--fix` runs the migrator (`qcfg migrate`) on the file: every legacy form is "
        "rewritten to the list form in place, keeping comments and formatting elsewhere. The "
        "fix is offered only when the migrated file normalizes to exactly the same entries; "
        "where the literal conversion would change the meaning (e.g. a `default` key that is "
        "not first), run `qcfg migrate FILE` and read its warnings.",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    std::vector<Pending> found;
    for (const RawQuantCfg& q : ctx.raw_quant_cfgs) {
      if (q.single_entry) continue;
      if (q.value->is_map()) {
        found.push_back({q.value->loc(),
                         "quant_cfg is a legacy flat mapping (deprecated by ModelOpt); rewrite it "
                         "as a list of {quantizer_name, cfg, enable} entries (`qcfg migrate`)",
                         {}});
        continue;
      }
      for (const RawEntryRef& e : raw_entries(q)) {
        if (!is_legacy(e)) continue;
        found.push_back({e.loc(),
                         "legacy one-key or `nn.*` item (deprecated by ModelOpt); write it as "
                         "{quantizer_name, cfg, enable} (`qcfg migrate`)",
                         e.loc()});
      }
    }
    if (found.empty()) return;
    // One migration rewrites every legacy form of the file: it rides on the first finding.
    std::optional<Fix> fix =
        ctx.migrate_fix && ctx.file ? ctx.migrate_fix(*ctx.file) : std::optional<Fix>();
    for (size_t i = 0; i < found.size(); ++i) {
      Finding& f = out.report(found[i].loc, found[i].message, found[i].entry);
      if (i == 0 && fix) f.fix = std::move(fix);
      if (ctx.migrate_fix && !fix)
        f.diag.notes.push_back(
            "no automatic fix: the literal migration would change what this "
            "file does; run `qcfg migrate` and read its warnings");
    }
  }

 private:
  struct Pending {
    SourceLocation loc;
    std::string message;
    SourceLocation entry;
  };
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc001_rule() {
  static const LegacyFormat rule;
  return rule;
}

}  // namespace qcfg::lint
