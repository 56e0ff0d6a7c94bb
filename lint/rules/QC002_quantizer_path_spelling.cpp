// QC002: `quantizer_path` written instead of `quantizer_name` (ModelOpt has no such alias).
#include <fmt/format.h>

#include "lint/fix.h"
#include "lint/raw_view.h"
#include "lint/rule.h"

namespace qcfg::lint {
namespace {

constexpr std::string_view kOld = "quantizer_path";
constexpr std::string_view kNew = "quantizer_name";

class QuantizerPathSpelling final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC002",
        "quantizer-path-spelling",
        Severity::Error,
        "`quantizer_path` is not a spelling ModelOpt accepts; the key is `quantizer_name`",
        "Older drafts of the list format used `quantizer_path`. ModelOpt has no alias for it: "
        "an entry with `quantizer_path` and `cfg`/`enable` is rejected as an invalid entry, a "
        "lone `{quantizer_path: X}` becomes a legacy entry for a quantizer literally named "
        "`quantizer_path` (and then fails on its cfg), and next to `quantizer_name` it is an "
        "unknown key. The fix renames the key in place, keeping quotes, comments and layout.",
        "quant_cfg:\n  - quantizer_path: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n",
        "Renames the key to `quantizer_name` (not offered when the entry also has "
        "`quantizer_name`: then delete one of the two by hand).",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const RawQuantCfg& q : ctx.raw_quant_cfgs) {
      for (const RawEntryRef& e : raw_entries(q)) {
        if (!e.item || !e.item->is_map()) continue;
        const MapEntry* key = e.item->find_entry(kOld);
        if (!key) continue;
        const bool both = e.item->has(kNew);
        Finding& f = out.report(
            key->key.loc(),
            both ? "`quantizer_path` next to `quantizer_name` is an unknown key; ModelOpt rejects "
                   "the entry (delete it)"
                 : "`quantizer_path` is not a field of a quant_cfg entry; ModelOpt rejects the "
                   "entry (rename it to `quantizer_name`)",
            e.item->loc());
        if (!both) f.fix = rename_fix(key->key.loc());
      }
    }
  }

 private:
  // Replaces the key's text (inside its quotes, if any).
  static std::optional<Fix> rename_fix(const SourceLocation& loc) {
    if (!loc.known()) return std::nullopt;
    const std::string& text = loc.file->text;
    size_t at = offset_of(*loc.file, loc.line, loc.column);
    if (at < text.size() && (text[at] == '"' || text[at] == '\'')) ++at;
    if (text.compare(at, kOld.size(), kOld) != 0) return std::nullopt;
    return Fix{"rename `quantizer_path` to `quantizer_name`",
               {TextEdit{loc.file, at, at + kOld.size(), std::string(kNew)}}};
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc002_rule() {
  static const QuantizerPathSpelling rule;
  return rule;
}

}  // namespace qcfg::lint
