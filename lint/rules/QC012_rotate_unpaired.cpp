// QC012: `rotate` mode on one side of a product (weight/input of a linear, q/k of attention)
// without the same rotation on the other side.
#include <fmt/format.h>

#include <map>
#include <unordered_map>

#include "lint/glob_subsume.h"
#include "lint/rule.h"
#include "lint/rules/rule_util.h"
#include "resolver/names.h"

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
  const QuantizerAttributes* a = single_attributes(e);
  if (a == nullptr) return std::nullopt;
  const Rotation& r = a->rotation;
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
        "`rotate_back` for a quantizer that has no partner. With `--model`/`--inventory` the pairs "
        "are the model's own: each rotated quantizer against the other operand of its layer "
        "(the same module's input or weight quantizer, per-expert weights against the shared "
        "expert input, q against k).",
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
      if (c.resolution) {
        check_model(ctx, c, out);
        continue;
      }
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
  // `rotate` mode on a quantizer's final attributes (a disabled quantizer still rotates).
  static std::optional<Rotation> final_rotate_mode(const resolver::QuantizerNode& n) {
    if (n.sequential || !n.attributes) return std::nullopt;
    const Rotation r = rotation_of(*n.attributes);
    if (!r.enabled || r.rotate_back) return std::nullopt;
    return r;
  }

  // The partner in the model: the other operand of the same product. Per-expert weights
  // (`X.p_weight_quantizers.N`) pair with the shared `X.p_input_quantizer`, and back with
  // expert 0 (all experts are configured alike by name patterns).
  static std::optional<size_t> find_partner(const std::string& name,
                                            const std::unordered_map<std::string, size_t>& index) {
    const std::string p = partner_pattern(resolver::normalize_fused_experts_name(name));
    if (p.empty()) return std::nullopt;
    for (const std::string& candidate : {p, p + "s.0"}) {
      if (auto it = index.find(candidate); it != index.end()) return it->second;
    }
    return std::nullopt;
  }

  static void check_model(const LintContext& ctx, const ConfigUnderLint& c, Reporter& out) {
    const resolver::Resolution& r = *c.resolution;
    std::unordered_map<std::string, size_t> index;
    for (size_t q = 0; q < r.quantizers.size(); ++q) index[r.inventory->quantizers[q].name] = q;
    std::map<int32_t, std::vector<std::string>> by_entry;
    for (size_t q = 0; q < r.quantizers.size(); ++q) {
      const resolver::QuantizerNode& n = r.quantizers[q].node;
      const auto rot = final_rotate_mode(n);
      const resolver::InventoryQuantizer& iq = r.inventory->quantizers[q];
      if (!rot || n.last_cfg_entry < 0 || iq.parent_class == "nn.Embedding") continue;
      const auto partner = find_partner(iq.name, index);
      if (!partner) continue;  // no partner in this model (e.g. v_bmm)
      const auto prot = final_rotate_mode(r.quantizers[*partner].node);
      if (prot && prot->block_size == rot->block_size) continue;
      by_entry[n.last_cfg_entry].push_back(
          fmt::format("{} ({} {})", iq.name, r.inventory->quantizers[*partner].name,
                      prot ? "uses another block size" : "is not rotated"));
    }
    for (const auto& [entry, names] : by_entry) {
      const QuantizerEntry& e = (*c.entries)[static_cast<size_t>(entry)];
      if (!ctx.in_this_file(e.loc)) continue;
      out.report(best_loc({e.cfg_loc, e.loc}),
                 fmt::format("`rotate` mode on {} quantizer(s) whose partner is not rotated the "
                             "same way; the product comes out in the rotated basis: {}",
                             names.size(), name_sample(names, 2)),
                 e.loc);
    }
  }

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

// Listed in lint/rules/all_rules.cpp.
const Rule& qc012_rule() {
  static const RotateUnpaired rule;
  return rule;
}

}  // namespace qcfg::lint
