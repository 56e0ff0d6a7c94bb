// QC012: `rotate` mode on one side of a product (weight/input of a linear, q/k of attention)
// without the same rotation on the other side.
#include <fmt/format.h>

#include "lint/glob_subsume.h"
#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

// The pattern of the partner quantizers, or "" when the pattern names no pairable quantizer.
std::string partner_pattern(const std::string& pattern) {
  static const std::pair<const char*, const char*> kPairs[] = {
      {"weight_quantizer", "input_quantizer"},
      {"input_quantizer", "weight_quantizer"},
      {"q_bmm_quantizer", "k_bmm_quantizer"},
      {"k_bmm_quantizer", "q_bmm_quantizer"}};
  for (const auto& [self, other] : kPairs) {
    const size_t at = pattern.rfind(self);
    if (at != std::string::npos)
      return pattern.substr(0, at) + other + pattern.substr(at + std::string(self).size());
  }
  return "";
}

std::optional<Rotation> rotate_mode(const QuantizerEntry& e) {
  if (e.cfg_kind != CfgKind::Single) return std::nullopt;
  const Rotation r = rotation_of(e.cfg_full);
  if (!r.enabled || r.rotate_back) return std::nullopt;
  return r;
}

class RotateUnpaired final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC012",
        "rotate-unpaired",
        Severity::Warning,
        "`rotate` mode without the matching rotation on the other side of the product",
        "In `rotate` mode (the default mode, and what `rotate: true` means) a quantizer returns "
        "Q(H(x)) still in the rotated basis. That is only correct in cancelling pairs: the "
        "input and weight quantizers of one linear layer ((xH)(WH)^T = xW^T), or the q and k "
        "BMM quantizers of attention, and both sides must use the same rotation block size. "
        "A partner may be disabled (a disabled quantizer still rotates), but it must be "
        "configured with the same rotation. The partner pattern is derived by swapping "
        "`weight_quantizer`/`input_quantizer` or `q_bmm_quantizer`/`k_bmm_quantizer`; use "
        "`rotate_back` for a quantizer that has no partner.",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}, rotate: true}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}, rotate: true}\n  - "
        "quantizer_name: '*input_quantizer'\n    cfg: {num_bits: [2, 1], block_sizes: {-1: 16, "
        "type: dynamic, scale_bits: [4, 3]}, rotate: true}\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      for (const QuantizerEntry& e : *c.entries) {
        if (!ctx.in_this_file(e.loc)) continue;
        const auto rot = rotate_mode(e);
        const std::string partner = rot ? partner_pattern(e.quantizer_name) : "";
        if (partner.empty()) continue;
        check_partner(e, *rot, partner, *c.entries, ctx, out);
      }
    }
  }

 private:
  static void check_partner(const QuantizerEntry& e, const Rotation& rot,
                            const std::string& partner, const std::vector<QuantizerEntry>& all,
                            const LintContext& ctx, Reporter& out) {
    const QuantizerEntry* other_size = nullptr;
    for (const QuantizerEntry& p : all) {
      const auto prot = rotate_mode(p);
      if (!prot || !glob_subsumes(p.quantizer_name, partner)) continue;
      if (prot->block_size == rot.block_size) return;
      other_size = &p;
    }
    const SourceLocation at = best_loc({e.cfg_loc, e.loc});
    if (other_size) {
      out.report(at,
                 fmt::format("`rotate` mode on {} and on its partners ({} at {}) use different "
                             "rotation block sizes; the rotations do not cancel",
                             entry_label(e), entry_label(*other_size), place(other_size->loc, ctx)),
                 e.loc);
      return;
    }
    out.report(at,
               fmt::format("`rotate` mode on {} but no entry rotates the partner quantizers '{}' "
                           "the same way; the product comes out in the rotated basis (use "
                           "`rotate_back`, or rotate both sides)",
                           entry_label(e), partner),
               e.loc);
  }
};

}  // namespace

QCFG_REGISTER_RULE(RotateUnpaired);

}  // namespace qcfg::lint
