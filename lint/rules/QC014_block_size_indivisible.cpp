// QC014: a quantization block size that does not divide the layer's last dimension.
#include <fmt/format.h>

#include <map>

#include "lint/rule.h"
#include "lint/rules/model_dims.h"
#include "lint/rules/rule_util.h"
#include "resolver/attributes.h"

namespace qcfg::lint {
namespace {

// The block size along the last axis (`-1:` key), if any.
std::optional<int64_t> last_axis_block(const Value& attributes) {
  const std::optional<int64_t> block = read_quantizer_attributes(attributes).last_axis_block();
  return block && *block > 0 ? block : std::nullopt;
}

class BlockSizeIndivisible final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC014",
        "block-size-indivisible",
        Severity::Warning,
        "the quantization block size does not divide the layer's last dimension",
        "Block quantization splits the last dimension into blocks of `block_sizes[-1]` "
        "elements with one scale each. When the block does not divide the dimension (e.g. an "
        "in_features of 588 with NVFP4 blocks of 16), ModelOpt's fake quantization pads the "
        "last block, but the exported checkpoint does not load in runtimes that need whole "
        "blocks (vLLM's NVFP4 W4A16 needs an input size divisible by 16, real-quant kernels "
        "assume whole blocks). The dimension comes from the model: the weight of the "
        "quantizer's own layer, also for its input quantizer. Exclude such layers or pick a "
        "block size that divides them.",
        "# model: a linear layer with in_features 588\nquant_cfg:\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: [2, 1], block_sizes: {-1: 16, type: dynamic, "
        "scale_bits: [4, 3]}}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}}\n  - quantizer_name: "
        "'*odd_proj*'\n    enable: false\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.resolution) continue;
      const resolver::Resolution& r = *c.resolution;
      const LayerDims dims(*r.inventory);
      FindingsByEntry by_entry;
      for (size_t q = 0; q < r.quantizers.size(); ++q) {
        const resolver::QuantizerNode& n = r.quantizers[q].node;
        if (n.sequential || n.disabled || !n.attributes || n.last_cfg_entry < 0) continue;
        const auto block = last_axis_block(*n.attributes);
        const auto d = block ? dims.last_dim(q) : std::nullopt;
        if (!d || *d % *block == 0) continue;
        by_entry[n.last_cfg_entry].push_back(
            fmt::format("{} (last dim {}, block {})", r.inventory->quantizers[q].name, *d, *block));
      }
      report_by_entry(ctx, c, by_entry, out,
                      [](const std::string& entry, size_t n, const std::string& sample) {
                        return fmt::format(
                            "the block size of entry {} does not divide the last dimension of "
                            "{} quantizer(s): {}",
                            entry, n, sample);
                      });
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc014_rule() {
  static const BlockSizeIndivisible rule;
  return rule;
}

}  // namespace qcfg::lint
