// QC006: the same pattern configured twice with different cfgs: the first cfg is dropped whole.
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class ConflictingDuplicate final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC006",
        "conflicting-duplicate",
        Severity::Warning,
        "the same pattern is configured twice with different cfgs; only the last one counts",
        "Each `cfg` replaces every attribute, so two entries with the same `quantizer_name` "
        "(and `parent_class`) and different cfgs do not merge: the later one wins completely "
        "and the earlier one is dead. This usually comes from a copy-paste or an edit that "
        "added a second entry; writing one entry with the intended cfg says what happens. "
        "Both entries must be written in the file: overriding an imported unit's entry is how "
        "presets are composed and is not reported.",
        "quant_cfg:\n  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: 8, axis: null}"
        "\n  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: [4, 3]}\n",
        "quant_cfg:\n  - quantizer_name: '*input_quantizer'\n    cfg: {num_bits: [4, 3]}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      const std::vector<QuantizerEntry>& entries = *c.entries;
      for (size_t j = 0; j < entries.size(); ++j) {
        const QuantizerEntry& later = entries[j];
        if (later.cfg_kind == CfgKind::None) continue;
        for (size_t i = j; i-- > 0;) {
          const QuantizerEntry& e = entries[i];
          if (e.quantizer_name != later.quantizer_name || e.parent_class != later.parent_class ||
              e.cfg_kind == CfgKind::None)
            continue;
          // Overriding an imported unit is how presets are composed: only pairs written here.
          if (!python_equal(e.cfg_full, later.cfg_full) && ctx.in_this_file(later.loc) &&
              ctx.in_this_file(e.loc)) {
            const SourceLocation at = later.loc;
            out.report(at,
                       fmt::format("{} is configured again with a different cfg; the cfg at {} "
                                   "is dropped entirely (every cfg is a full replacement)",
                                   entry_label(later), place(e.loc, ctx)),
                       at);
          }
          break;
        }
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc006_rule() {
  static const ConflictingDuplicate rule;
  return rule;
}

}  // namespace qcfg::lint
