// QC015: an enabled weight quantizer that reads no weight tensor: nothing to calibrate.
#include <fmt/format.h>

#include <map>

#include "lint/rule.h"
#include "lint/rules/rule_util.h"
#include "resolver/names.h"

namespace qcfg::lint {
namespace {

bool inventory_has_tensors(const resolver::Inventory& inv) {
  for (const resolver::InventoryQuantizer& q : inv.quantizers)
    if (!q.tensors.empty()) return true;
  return false;
}

class WeightQuantizerWithoutWeight final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC015",
        "weight-quantizer-without-weight",
        Severity::Warning,
        "an enabled weight quantizer reads no weight tensor of the checkpoint",
        "A weight quantizer is calibrated on its module's weight. When the model's inventory "
        "knows the checkpoint tensors (an inventory derived with `--model DIR`, or a JSON "
        "inventory with `tensors`), a weight quantizer that ends up enabled but reads no "
        "tensor has nothing to calibrate: its amax stays unset and export fails or writes no "
        "scale (a tied or missing weight, a module the checkpoint does not hold). Checked "
        "only when the inventory lists tensors at all.",
        "# model: lm_head tied to the embedding (no lm_head.weight tensor)\nquant_cfg:\n  - "
        "quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [4, 3], axis: null}\n",
        "quant_cfg:\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: [4, 3], axis: "
        "null}\n  - quantizer_name: '*lm_head*'\n    enable: false\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      if (!c.resolution || !inventory_has_tensors(*c.resolution->inventory)) continue;
      const resolver::Resolution& r = *c.resolution;
      std::map<int32_t, std::vector<std::string>> by_entry;
      for (size_t q = 0; q < r.quantizers.size(); ++q) {
        const resolver::InventoryQuantizer& iq = r.inventory->quantizers[q];
        const resolver::QuantizerNode& n = r.quantizers[q].node;
        if (n.disabled || !iq.tensors.empty()) continue;
        const std::string leaf = leaf_of(resolver::normalize_fused_experts_name(iq.name));
        if (leaf.find("weight_quantizer") == std::string::npos) continue;
        const int32_t by = std::max(n.last_cfg_entry, n.last_enable_entry);
        if (by >= 0) by_entry[by].push_back(iq.name);
      }
      for (const auto& [entry, names] : by_entry) {
        const QuantizerEntry& e = (*c.entries)[static_cast<size_t>(entry)];
        if (!ctx.in_this_file(e.loc)) continue;
        out.report(e.loc,
                   fmt::format("entry {} enables {} weight quantizer(s) that read no weight "
                               "tensor of the checkpoint; nothing calibrates them: {}",
                               entry_label(e), names.size(), name_sample(names)),
                   e.loc);
      }
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc015_rule() {
  static const WeightQuantizerWithoutWeight rule;
  return rule;
}

}  // namespace qcfg::lint
