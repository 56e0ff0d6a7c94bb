// QC005: an entry whose every effect a later entry undoes. Without a model: the later entry's
// pattern covers this one's (glob subsumption) and replaces what it set. With a model: exactly,
// on the quantizers it matched.
#include <fmt/format.h>

#include "lint/glob_subsume.h"
#include "lint/rule.h"
#include "lint/rules/rule_util.h"
#include "resolver/plan.h"

namespace qcfg::lint {
namespace {

// Does `later` undo everything `earlier` does to a quantizer both match?
bool undoes(const QuantizerEntry& later, const QuantizerEntry& earlier) {
  if (later.cfg_kind != CfgKind::None) {
    // A list cfg on a sequential quantizer nests instead of replacing
    // (shared/spec/quant_cfg.md 7.5).
    return !(later.cfg_kind == CfgKind::Sequential && earlier.cfg_kind == CfgKind::Sequential);
  }
  if (earlier.cfg_kind != CfgKind::None) return false;  // attributes survive an enable toggle
  // An enable-only false also switches rotation off for good; a later true does not undo that.
  return earlier.enable == later.enable || earlier.enable;
}

// QC006 reports a same-pattern pair whose cfgs differ; say it once.
bool is_conflicting_duplicate(const QuantizerEntry& a, const QuantizerEntry& b) {
  return a.quantizer_name == b.quantizer_name && a.parent_class == b.parent_class &&
         a.cfg_kind != CfgKind::None && b.cfg_kind != CfgKind::None &&
         !python_equal(a.cfg_full, b.cfg_full);
}

class ShadowedEntry final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC005",
        "shadowed-entry",
        Severity::Warning,
        "a later entry undoes everything this entry does (dead entry)",
        "Entries apply in order and every `cfg` is a full replacement of all attributes, so an "
        "entry is dead when a later entry reaches every quantizer it reaches and sets what it "
        "set: a later `cfg` entry whose pattern covers this one's pattern (and whose "
        "`parent_class`, if any, is the same), or a later enable-only entry after an "
        "enable-only entry. Without a model the coverage is proven on the patterns (fnmatch "
        "semantics: `*` crosses dots), which is sound but may miss cases; with `--model` or "
        "`--inventory` it is exact: every quantizer the entry matched was later overridden. "
        "Usually the order is wrong (a broad rule written after the specific one) or the entry "
        "is left over.",
        "quant_cfg:\n  - quantizer_name: '*mlp*weight_quantizer'\n    cfg: {num_bits: 4, "
        "block_sizes: {-1: 128}}\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: "
        "8, axis: 0}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n"
        "  - quantizer_name: '*mlp*weight_quantizer'\n    cfg: {num_bits: 4, block_sizes: {-1: "
        "128}}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (c.resolution) {
        check_with_model(ctx, c, out);
      } else {
        check_static(ctx, c, out);
      }
    }
  }

 private:
  static void check_static(const LintContext& ctx, const ConfigUnderLint& c, Reporter& out) {
    const std::vector<QuantizerEntry>& entries = *c.entries;
    for (size_t i = 0; i < entries.size(); ++i) {
      const QuantizerEntry& e = entries[i];
      if (!ctx.in_this_file(e.loc)) continue;
      for (size_t j = i + 1; j < entries.size(); ++j) {
        const QuantizerEntry& later = entries[j];
        if (!parent_covers(later, e) || !undoes(later, e)) continue;
        if (!glob_subsumes(later.quantizer_name, e.quantizer_name)) continue;
        if (is_conflicting_duplicate(e, later)) break;
        const bool same = e.cfg_kind == later.cfg_kind && e.enable == later.enable &&
                          python_equal(e.cfg_full, later.cfg_full);
        out.report(e.loc,
                   fmt::format("entry {} has no effect: the later entry {} at {} reaches every "
                               "quantizer it reaches and {}",
                               entry_label(e), entry_label(later), place(later.loc, ctx),
                               same ? "sets the same (redundant)" : "replaces what it sets"),
                   e.loc);
        break;
      }
    }
  }

  static void check_with_model(const LintContext& ctx, const ConfigUnderLint& c, Reporter& out) {
    const resolver::Resolution& r = *c.resolution;
    const std::vector<std::vector<uint32_t>> matched = matches_by_quantizer(r);
    const size_t n = c.entries->size();
    std::vector<size_t> hits(n, 0), overridden(n, 0);
    for (size_t q = 0; q < matched.size(); ++q) {
      for (uint32_t e : matched[q]) ++hits[e];
      for (uint32_t e : resolver::overridden_entries(r.quantizers[q], matched[q])) {
        const QuantizerEntry& entry = (*c.entries)[e];
        const bool lasting_disable = entry.cfg_kind == CfgKind::None && !entry.enable &&
                                     static_cast<int32_t>(e) > r.quantizers[q].node.last_cfg_entry;
        if (!lasting_disable) ++overridden[e];
      }
    }
    for (size_t e = 0; e < n && e < r.entries_applied; ++e) {
      const QuantizerEntry& entry = (*c.entries)[e];
      if (!ctx.in_this_file(entry.loc) || hits[e] == 0 || overridden[e] != hits[e]) continue;
      out.report(entry.loc,
                 fmt::format("entry {} has no effect on this model: later entries override it on "
                             "all {} quantizer(s) it matches",
                             entry_label(entry), hits[e]),
                 entry.loc);
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc005_rule() {
  static const ShadowedEntry rule;
  return rule;
}

}  // namespace qcfg::lint
