// QC011: `rotate` mode reaching an embedding's weight quantizer: the lookups come out rotated
// and nothing rotates them back.
#include <fmt/format.h>

#include <map>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"
#include "resolver/fnmatch.h"

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
        "`enable: false` does not). Without a model the rule checks the pattern against the "
        "usual embedding names (`model.embed_tokens`, `transformer.wte`, `gpt_neox.embed_in`, "
        "...); with `--model`/`--inventory` it is exact (every `nn.Embedding` weight quantizer "
        "that ends up in `rotate` mode).",
        "quant_cfg:\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: [2, 1], block_sizes: {-1: 16, type: dynamic, "
        "scale_bits: [4, 3]}, rotate: true}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}, rotate: true}\n  - "
        "parent_class: nn.Embedding\n    quantizer_name: '*'\n    enable: false\n",
        "",
        false};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (c.resolution) {
        check_model(ctx, c, out);
      } else {
        check_static(ctx, c, out);
      }
    }
  }

 private:
  // Embedding weight quantizer names of common Hugging Face architectures.
  static const std::vector<std::string>& embedding_names() {
    static const std::vector<std::string> names = {
        "model.embed_tokens.weight_quantizer", "transformer.wte.weight_quantizer",
        "gpt_neox.embed_in.weight_quantizer", "model.decoder.embed_tokens.weight_quantizer",
        "language_model.model.embed_tokens.weight_quantizer"};
    return names;
  }

  static bool reaches_embedding(const QuantizerEntry& e, const std::string& name) {
    if (has_parent_filter(e) && *e.parent_class != "nn.Embedding") return false;
    return resolver::GlobPattern(e.quantizer_name).matches(name);
  }

  // A later entry that reaches `name` and ends this entry's rotation there: a cfg (a full
  // replacement, checked on its own) or an enable-only false (which clears rotation).
  static bool cleared_later(const std::vector<QuantizerEntry>& entries, size_t i,
                            const std::string& name) {
    for (size_t j = i + 1; j < entries.size(); ++j) {
      const QuantizerEntry& later = entries[j];
      if (!reaches_embedding(later, name)) continue;
      if (later.cfg_kind != CfgKind::None || !later.enable) return true;
    }
    return false;
  }

  static void check_static(const LintContext& ctx, const ConfigUnderLint& c, Reporter& out) {
    const std::vector<QuantizerEntry>& entries = *c.entries;
    for (size_t i = 0; i < entries.size(); ++i) {
      const QuantizerEntry& e = entries[i];
      if (!ctx.in_this_file(e.loc) || e.cfg_kind != CfgKind::Single) continue;
      const Rotation& rot = single_attributes(e)->rotation;
      if (!rot.enabled || rot.rotate_back) continue;
      for (const std::string& name : embedding_names()) {
        if (!reaches_embedding(e, name) || cleared_later(entries, i, name)) continue;
        out.report(e.loc,
                   fmt::format("entry {} gives `rotate` mode to embedding weight quantizers too "
                               "(e.g. {}) and no later entry excludes them; their lookups come "
                               "out rotated",
                               entry_label(e), name),
                   e.loc);
        break;
      }
    }
  }

  static void check_model(const LintContext& ctx, const ConfigUnderLint& c, Reporter& out) {
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
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc011_rule() {
  static const RotateEmbedding rule;
  return rule;
}

}  // namespace qcfg::lint
