// How transformers lays out MoE experts in the module tree, and so which quantizer names ModelOpt
// sees. Transformers >= 5 fuses the per-expert linears of many MoE models at load (its
// `conversion_mapping.py`): `experts.E.gate_proj.weight` and `experts.E.up_proj.weight` become
// rows of `experts.gate_up_proj[E]`, `experts.E.down_proj.weight` becomes `experts.down_proj[E]`,
// and ModelOpt quantizes those with `gate_up_proj_weight_quantizers.E` and one
// `gate_up_proj_input_quantizer` per experts module. The checkpoint on disk keeps the per-expert
// tensors (save_pretrained converts back), and so do ModelOpt's exports.
//
// This file is the one home of that naming convention: the inventory derivation
// (resolver/checkpoint_inventory.cpp) and the runtime's binding (runtime/binding.cpp) both ask it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace qcfg::checkpoint {

struct CheckpointConfig;

enum class ExpertLayout {
  automatic,   // fused when config.json says transformers >= 5 and a model type it fuses
  fused,       // as transformers >= 5 loads the model
  per_expert,  // one nn.Linear per expert and projection, as on disk (transformers < 5)
};

// "auto" | "fused" | "per-expert"; throws std::invalid_argument otherwise.
ExpertLayout parse_expert_layout(const std::string& text);

// One fusion rule of transformers 5's conversion mapping, in checkpoint names.
struct FusedExpertRule {
  std::string checkpoint_block;      // the MoE block on disk: "mlp", "block_sparse_moe"
  std::string tree_block;            // the same block in the module tree: "mlp"
  std::vector<std::string> gate_up;  // row blocks of gate_up_proj, in order: gate_proj, up_proj
  std::string down;                  // "down_proj", "w2"
  // The block's router (`<block>.gate`) is a router class, not an nn.Linear, in transformers 5
  // (no quantizers; ModelOpt lists it in exclude_modules by name).
  bool router_replaced = false;
};

// The rule the checkpoint's experts follow under `layout`, or null for the per-expert layout
// (also when the model type is not one transformers fuses and the layout is forced to fused).
const FusedExpertRule* fused_expert_rule(ExpertLayout layout,
                                         const std::optional<CheckpointConfig>& config);

// Where a per-expert checkpoint weight sits in the fused module tree.
struct FusedExpertSlot {
  std::string experts_module;  // module-tree name: "model.layers.0.mlp.experts"
  std::string param;           // "gate_up_proj" | "down_proj"
  int64_t expert = 0;
  int part = 0;  // row block index within the fused parameter (gate 0, up 1; down 0)
};

// `<p>.<checkpoint_block>.experts.<E>.<proj>.weight` under `rule`, else nullopt.
std::optional<FusedExpertSlot> fused_expert_slot(const FusedExpertRule& rule,
                                                 const std::string& tensor_name);

// True for `<p>.<checkpoint_block>.gate` when the rule replaces the router (checkpoint name).
bool is_replaced_router(const FusedExpertRule& rule, const std::string& module);

// ModelOpt's names on a fused experts module.
std::string fused_weight_quantizer_name(const FusedExpertSlot& s);  // <m>.<p>_weight_quantizers.E
std::string fused_input_quantizer_name(const FusedExpertSlot& s);   // <m>.<p>_input_quantizer

}  // namespace qcfg::checkpoint
