// QC011: `rotate` mode reaching an embedding's weight quantizer: the lookups come out rotated
// and nothing rotates them back.
#include <fmt/format.h>

#include <map>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

class RotateEmbedding final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC011",
        "rotate-embedding",
        Severity::Warning,
        "an embedding quantizer gets `rotate` mode; its lookups come out rotated",
        "Broad patterns such as `*weight_quantizer` or `*` also reach `nn.Embedding` weight "
        "quantizers. In `rotate` mode a quantizer returns its input in the rotated (Hadamard) "
        "basis, which is only correct when the partner of the product is rotated too (QC012); "
        "an embedding table has no partner, so every lookup comes out rotated. Exclude "
        "embeddings after the broad entry: an enable-only `{parent_class: nn.Embedding, "
        "quantizer_name: '*', enable: false}` also clears their rotation (a full cfg with "
        "`enable: false` does not).",
        "# model: Llama (model.embed_tokens is an nn.Embedding)\nquant_cfg:\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: [2, 1], block_sizes: {-1: 16, type: dynamic, "
        "scale_bits: [4, 3]}, rotate: true}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}, rotate: true}\n  - "
        "parent_class: nn.Embedding\n    quantizer_name: '*'\n    enable: false\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.resolution) continue;
      const resolver::Resolution& r = *c.resolution;
      std::map<int32_t, std::vector<std::string>> by_entry;
      for (size_t q = 0; q < r.quantizers.size(); ++q) {
        const resolver::InventoryQuantizer& iq = r.inventory->quantizers[q];
        const resolver::QuantizerNode& n = r.quantizers[q].node;
        // The input quantizer is hard-disabled and reads token ids: only the table matters.
        if (iq.parent_class != "nn.Embedding" || n.sequential || n.hard_disabled || !n.attributes)
          continue;
        const Rotation rot = rotation_of(*n.attributes);
        if (rot.enabled && !rot.rotate_back && n.last_cfg_entry >= 0)
          by_entry[n.last_cfg_entry].push_back(iq.name);
      }
      for (const auto& [entry, names] : by_entry) {
        const QuantizerEntry& e = (*c.entries)[static_cast<size_t>(entry)];
        if (!ctx.in_this_file(e.loc)) continue;
        out.report(e.loc,
                   fmt::format("entry {} gives {} embedding quantizer(s) `rotate` mode ({}); "
                               "their lookups come out rotated and nothing rotates them back",
                               entry_label(e), names.size(), name_sample(names)),
                   e.loc);
      }
    }
  }
};

}  // namespace

QCFG_REGISTER_RULE(RotateEmbedding);

}  // namespace qcfg::lint
