// QC013: a Hadamard rotation whose block size does not fit the layer's last dimension: ModelOpt
// raises at the first forward.
#include <fmt/format.h>

#include <map>

#include "lint/rule.h"
#include "lint/rules/model_dims.h"
#include "lint/rules/rule_util.h"

namespace qcfg::lint {
namespace {

bool power_of_two(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

// Why rotation of a last dim `d` with `block` fails (shared/spec/numerics.md 7), or "" when it
// works.
std::string rotation_problem(int64_t d, std::optional<int64_t> block) {
  if (block) {
    if (!power_of_two(*block)) return fmt::format("block size {} is not a power of two", *block);
    if (d % *block != 0) return fmt::format("block size {} does not divide {}", *block, d);
    return "";
  }
  const int64_t n = power_of_two(d) ? d : (d & -d);
  if (n < 2) return fmt::format("{} has no power-of-two divisor of at least 2", d);
  return "";
}

class RotationBlockIndivisible final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC013",
        "rotation-block-indivisible",
        Severity::Error,
        "the rotation block size does not fit the layer's last dimension",
        "The Hadamard rotation works on blocks of the last dimension D: `rotate.block_size` if "
        "set, else D when D is a power of two, else the largest power-of-two divisor of D. The "
        "block must be a power of two that divides D, and the automatic block must be at least "
        "2; otherwise ModelOpt raises at the first forward — after the config validated and "
        "the model was loaded. The dimension comes from the model: the weight of the "
        "quantizer's own layer (in_features of a linear layer, also for its input "
        "quantizer). A disabled quantizer still rotates, so it is checked too.",
        "# model: a linear layer with in_features 588\nquant_cfg:\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: [2, 1], block_sizes: {-1: 16, type: dynamic, "
        "scale_bits: [4, 3]}, rotate: {enable: true, mode: rotate_back, block_size: 64}}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [2, 1], "
        "block_sizes: {-1: 16, type: dynamic, scale_bits: [4, 3]}, rotate: {enable: true, mode: "
        "rotate_back, block_size: 4}}\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.resolution) continue;
      const resolver::Resolution& r = *c.resolution;
      const LayerDims dims(*r.inventory);
      FindingsByEntry by_entry;  // entry -> "name: problem"
      for (size_t q = 0; q < r.quantizers.size(); ++q) {
        const resolver::QuantizerNode& n = r.quantizers[q].node;
        if (n.sequential || !n.attributes || n.last_cfg_entry < 0) continue;
        const Rotation rot = rotation_of(*n.attributes);
        const auto d = rot.enabled ? dims.last_dim(q) : std::nullopt;
        if (!d) continue;
        const std::string problem = rotation_problem(*d, rot.block_size);
        if (!problem.empty())
          by_entry[n.last_cfg_entry].push_back(r.inventory->quantizers[q].name + " (" + problem +
                                               ")");
      }
      report_by_entry(ctx, c, by_entry, out,
                      [](const std::string& entry, size_t n, const std::string& sample) {
                        return fmt::format(
                            "the rotation of entry {} cannot run on {} quantizer(s) of the "
                            "model; ModelOpt raises at the first forward: {}",
                            entry, n, sample);
                      });
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc013_rule() {
  static const RotationBlockIndivisible rule;
  return rule;
}

}  // namespace qcfg::lint
