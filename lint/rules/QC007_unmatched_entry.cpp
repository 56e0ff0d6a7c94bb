// QC007: an entry that matches no quantizer of the model (typo, wrong model, wrong case).
#include <fmt/format.h>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"
#include "resolver/fnmatch.h"

namespace qcfg::lint {
namespace {

class UnmatchedEntry final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC007",
        "unmatched-entry",
        Severity::Warning,
        "the entry matches no quantizer of the model",
        "ModelOpt silently skips an entry whose pattern (and `parent_class` filter) selects no "
        "quantizer. Patterns are fnmatch globs on the full dotted quantizer name: matching is "
        "case-sensitive, the whole name must match (`*q_proj` does not match "
        "`...q_proj.weight_quantizer`), and the parent filter looks at the immediate parent "
        "only. The finding says when the pattern would match if case were ignored. Entries "
        "that come from imported snippets are not reported (generic exclusion lists are meant "
        "to cover many models).",
        "# model: Llama (q_proj, k_proj, ..., mlp.down_proj)\nquant_cfg:\n  - quantizer_name: "
        "'*Q_proj*weight_quantizer'\n    cfg: {num_bits: 8, axis: 0}\n",
        "quant_cfg:\n  - quantizer_name: '*q_proj*weight_quantizer'\n    cfg: {num_bits: 8, "
        "axis: 0}\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.resolution) continue;
      const resolver::Resolution& r = *c.resolution;
      std::vector<char> hit(c.entries->size(), 0);
      for (size_t q = 0; q < r.quantizers.size(); ++q)
        for (uint32_t e : resolver::matched_entries(r, q)) hit[e] = 1;
      for (size_t e = 0; e < c.entries->size() && e < r.entries_applied; ++e) {
        const QuantizerEntry& entry = (*c.entries)[e];
        if (hit[e] || !ctx.in_this_file(entry.loc)) continue;
        Finding& f = out.report(entry.loc,
                                fmt::format("entry {} matches no quantizer of the model ({} "
                                            "quantizers)",
                                            entry_label(entry), r.quantizers.size()),
                                entry.loc);
        if (auto near = case_insensitive_match(entry, *r.inventory))
          f.diag.notes.push_back("fnmatch is case-sensitive; ignoring case it would match '" +
                                 *near + "'");
      }
    }
  }

 private:
  static std::optional<std::string> case_insensitive_match(const QuantizerEntry& e,
                                                           const resolver::Inventory& inv) {
    const resolver::GlobPattern pattern(ascii_lower(e.quantizer_name));
    for (const resolver::InventoryQuantizer& q : inv.quantizers)
      if (pattern.matches(ascii_lower(q.name))) return q.name;
    return std::nullopt;
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc007_rule() {
  static const UnmatchedEntry rule;
  return rule;
}

}  // namespace qcfg::lint
