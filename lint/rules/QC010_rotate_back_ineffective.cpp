// QC010: `rotate_back` that cannot take effect: rotation not enabled, the quantizer disabled, or
// rotation cleared later by an enable-only `false` entry.
#include <fmt/format.h>

#include "lint/glob_subsume.h"
#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

bool asks_rotate_back(const QuantizerEntry& e) {
  const QuantizerAttributes* a = single_attributes(e);
  return a != nullptr && a->rotation.rotate_back;
}

class RotateBackIneffective final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC010",
        "rotate-back-ineffective",
        Severity::Warning,
        "`rotate_back` is configured but can never take effect",
        "A `rotate_back` quantizer computes H(Q(H(x))). It does nothing when (1) the rotation "
        "itself is off — `RotateConfig.enable` defaults to false, so `rotate: {mode: "
        "rotate_back}` alone is inert; (2) the entry disables the quantizer: a disabled "
        "quantizer applies H twice, which is the identity; or (3) a later enable-only entry "
        "with `enable: false` reaches the quantizer: ModelOpt's `disable_rotate()` runs on "
        "exactly that form and switches rotation off for good, so even a later re-enable "
        "keeps it off. Case (3) is proven on patterns without a model and checked exactly "
        "with one.",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg:\n      num_bits: [2, 1]\n"
        "      block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}\n      rotate: {mode: "
        "rotate_back}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg:\n      num_bits: [2, 1]\n"
        "      block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}\n      rotate: {enable: "
        "true, mode: rotate_back}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      const std::vector<QuantizerEntry>& entries = *c.entries;
      for (size_t i = 0; i < entries.size(); ++i) {
        const QuantizerEntry& e = entries[i];
        if (!ctx.in_this_file(e.loc) || !asks_rotate_back(e)) continue;
        if (auto why = static_reason(entries, i, ctx)) {
          out.report(best_loc({e.cfg_loc, e.loc}), *why, e.loc);
        } else if (c.resolution) {
          check_model(*c.resolution, i, ctx, out);
        }
      }
    }
  }

 private:
  static std::optional<std::string> static_reason(const std::vector<QuantizerEntry>& entries,
                                                  size_t i, const LintContext& ctx) {
    const QuantizerEntry& e = entries[i];
    if (!single_attributes(e)->rotation.enabled)
      return std::string(
          "`rotate_back` has no effect: `rotate.enable` is false (RotateConfig "
          "defaults to disabled); add `enable: true`");
    if (!e.enable)
      return std::string(
          "`rotate_back` has no effect: the entry disables the quantizer, and a "
          "disabled quantizer applies the rotation twice (identity)");
    for (size_t j = i + 1; j < entries.size(); ++j) {
      const QuantizerEntry& later = entries[j];
      if (later.cfg_kind != CfgKind::None && parent_covers(later, e) &&
          glob_subsumes(later.quantizer_name, e.quantizer_name))
        return std::nullopt;  // reconfigured: QC005 reports the dead entry
      if (later.cfg_kind == CfgKind::None && !later.enable && parent_covers(later, e) &&
          glob_subsumes(later.quantizer_name, e.quantizer_name)) {
        return fmt::format(
            "`rotate_back` has no effect: the enable-only entry {} at {} "
            "disables these quantizers and switches their rotation off for good",
            entry_label(later), place(later.loc, ctx));
      }
    }
    return std::nullopt;
  }

  static void check_model(const resolver::Resolution& r, size_t i, const LintContext& ctx,
                          Reporter& out) {
    std::vector<std::string> lost;
    int32_t by = -1;
    for (size_t q = 0; q < r.quantizers.size(); ++q) {
      const resolver::QuantizerNode& n = r.quantizers[q].node;
      if (n.sequential || n.last_cfg_entry != static_cast<int32_t>(i) || !n.attributes) continue;
      if (rotation_of(*n.attributes).enabled) continue;
      lost.push_back(r.inventory->quantizers[q].name);
      by = n.last_enable_entry;
    }
    if (lost.empty()) return;
    const QuantizerEntry& e = (*r.entries)[i];
    const std::string who =
        by >= 0 ? fmt::format(" by the enable-only entry at {}", place((*r.entries)[by].loc, ctx))
                : "";
    out.report(best_loc({e.cfg_loc, e.loc}),
               fmt::format("`rotate_back` has no effect on {} quantizer(s) of the model: their "
                           "rotation is switched off later{} ({})",
                           lost.size(), who, name_sample(lost)),
               e.loc);
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc010_rule() {
  static const RotateBackIneffective rule;
  return rule;
}

}  // namespace qcfg::lint
