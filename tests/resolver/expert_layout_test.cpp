// The fused expert layout of transformers >= 5 (checkpoint/expert_layout.h): when it applies, how
// per-expert checkpoint names map onto ModelOpt's fused quantizer names, and the inventory built
// from it.
#include "checkpoint/expert_layout.h"
#include "checkpoint/hf_names.h"

#include <doctest/doctest.h>

#include "resolver/checkpoint_inventory.h"

using namespace qcfg::resolver;
using namespace qcfg::checkpoint;

namespace {

CheckpointConfig config(const std::string& arch, const std::string& type,
                        const std::string& version) {
  CheckpointConfig c;
  c.architecture = arch;
  c.model_type = type;
  c.transformers_version = version;
  return c;
}

TensorInfo weight(const std::string& name, int64_t rows = 16, int64_t cols = 8) {
  return {name, "BF16", {rows, cols}, static_cast<uint64_t>(rows * cols * 2), "model.safetensors"};
}

const InventoryQuantizer* find(const Inventory& inv, const std::string& name) {
  for (const InventoryQuantizer& q : inv.quantizers)
    if (q.name == name) return &q;
  return nullptr;
}

std::vector<TensorInfo> qwen3_moe_layer() {
  std::vector<TensorInfo> t = {weight("model.layers.0.self_attn.q_proj.weight"),
                               weight("model.layers.0.mlp.gate.weight", 2, 8)};
  for (int e = 0; e < 2; ++e) {
    const std::string p = "model.layers.0.mlp.experts." + std::to_string(e) + ".";
    t.push_back(weight(p + "down_proj.weight", 8, 16));
    t.push_back(weight(p + "up_proj.weight"));
    t.push_back(weight(p + "gate_proj.weight"));
  }
  return t;
}

}  // namespace

TEST_CASE("expert layout: fused for transformers >= 5 model types it fuses, or when forced") {
  CHECK(parse_expert_layout("auto") == ExpertLayout::automatic);
  CHECK(parse_expert_layout("per-expert") == ExpertLayout::per_expert);
  CHECK_THROWS_AS(parse_expert_layout("fuse"), std::invalid_argument);
  const auto v5 = std::optional(config("Qwen3MoeForCausalLM", "qwen3_moe", "5.17.0"));
  const auto v4 = std::optional(config("Qwen3MoeForCausalLM", "qwen3_moe", "4.57.1"));
  const auto llama = std::optional(config("LlamaForCausalLM", "llama", "5.17.0"));
  CHECK(fused_expert_rule(ExpertLayout::automatic, v5) != nullptr);
  CHECK(fused_expert_rule(ExpertLayout::automatic, v4) == nullptr);
  CHECK(fused_expert_rule(ExpertLayout::fused, v4) != nullptr);
  CHECK(fused_expert_rule(ExpertLayout::per_expert, v5) == nullptr);
  CHECK(fused_expert_rule(ExpertLayout::automatic, llama) == nullptr);
  CHECK(fused_expert_rule(ExpertLayout::fused, std::nullopt) == nullptr);
  const auto mixtral = std::optional(config("MixtralForCausalLM", "mixtral", "5.0.0.dev0"));
  const FusedExpertRule* m = fused_expert_rule(ExpertLayout::automatic, mixtral);
  REQUIRE(m != nullptr);
  CHECK(m->checkpoint_block == "block_sparse_moe");
}

TEST_CASE("expert layout: per-expert tensor names to fused slots and quantizer names") {
  const auto cfg = std::optional(config("MixtralForCausalLM", "mixtral", "5.17.0"));
  const FusedExpertRule& mixtral = *fused_expert_rule(ExpertLayout::automatic, cfg);
  const auto w3 =
      fused_expert_slot(mixtral, "model.layers.3.block_sparse_moe.experts.12.w3.weight");
  REQUIRE(w3);
  CHECK(w3->experts_module == "model.layers.3.mlp.experts");
  CHECK(w3->param == "gate_up_proj");
  CHECK(w3->expert == 12);
  CHECK(w3->part == 1);
  CHECK(fused_weight_quantizer_name(*w3) ==
        "model.layers.3.mlp.experts.gate_up_proj_weight_quantizers.12");
  CHECK(fused_input_quantizer_name(*w3) ==
        "model.layers.3.mlp.experts.gate_up_proj_input_quantizer");
  const auto w2 = fused_expert_slot(mixtral, "model.layers.3.block_sparse_moe.experts.0.w2.weight");
  REQUIRE(w2);
  CHECK(w2->param == "down_proj");
  CHECK(w2->part == 0);
  CHECK_FALSE(fused_expert_slot(mixtral, "model.layers.3.block_sparse_moe.experts.0.w2.bias"));
  CHECK_FALSE(fused_expert_slot(mixtral, "model.layers.3.mlp.experts.0.w1.weight"));
  CHECK_FALSE(fused_expert_slot(mixtral, "model.layers.3.block_sparse_moe.experts.x.w1.weight"));
  CHECK(is_replaced_router(mixtral, "model.layers.3.block_sparse_moe.gate"));
  CHECK_FALSE(is_replaced_router(mixtral, "model.layers.3.mlp.shared_expert_gate"));

  CHECK(input_quantizer_for("model.layers.0.mlp.down_proj.weight_quantizer") ==
        "model.layers.0.mlp.down_proj.input_quantizer");
  CHECK(input_quantizer_for("m.experts.gate_up_proj_weight_quantizers.3") ==
        "m.experts.gate_up_proj_input_quantizer");
  CHECK(input_quantizer_for("m.experts.gate_up_proj_input_quantizer").empty());
}

TEST_CASE("inventory with the fused layout: ModelOpt's names, gate+up one quantizer, no router") {
  const auto cfg = std::optional(config("Qwen3MoeForCausalLM", "qwen3_moe", "5.17.0"));
  const Inventory inv = inventory_from_tensors(qwen3_moe_layer(), cfg, "m");
  CHECK(find(inv, "model.layers.0.mlp.gate.weight_quantizer") == nullptr);
  CHECK(find(inv, "model.layers.0.mlp.experts.0.gate_proj.weight_quantizer") == nullptr);
  const auto* in = find(inv, "model.layers.0.mlp.experts.gate_up_proj_input_quantizer");
  REQUIRE(in);
  CHECK(in->parent_class == std::optional<std::string>("hf.Qwen3MoeExperts"));
  const auto* gu = find(inv, "model.layers.0.mlp.experts.gate_up_proj_weight_quantizers.1");
  REQUIRE(gu);
  CHECK_FALSE(gu->parent_class.has_value());
  REQUIRE(gu->tensors.size() == 2);
  CHECK(gu->tensors[0].name == "model.layers.0.mlp.experts.1.gate_proj.weight");
  CHECK(gu->tensors[0].fused_part == 0);
  CHECK(gu->tensors[1].name == "model.layers.0.mlp.experts.1.up_proj.weight");
  CHECK(gu->tensors[1].fused_part == 1);
  const auto* down = find(inv, "model.layers.0.mlp.experts.down_proj_weight_quantizers.0");
  REQUIRE(down);
  REQUIRE(down->tensors.size() == 1);
  CHECK(down->tensors[0].name == "model.layers.0.mlp.experts.0.down_proj.weight");
  // ModelOpt's traversal: per parameter the input quantizer, then the experts' weights.
  std::vector<std::string> moe;
  for (const InventoryQuantizer& q : inv.quantizers)
    if (q.name.find(".experts.") != std::string::npos) moe.push_back(q.name);
  const std::string e = "model.layers.0.mlp.experts.";
  CHECK(moe == std::vector<std::string>{
                   e + "gate_up_proj_input_quantizer", e + "gate_up_proj_weight_quantizers.0",
                   e + "gate_up_proj_weight_quantizers.1", e + "down_proj_input_quantizer",
                   e + "down_proj_weight_quantizers.0", e + "down_proj_weight_quantizers.1"});

  const Inventory per =
      inventory_from_tensors(qwen3_moe_layer(), cfg, "m", ExpertLayout::per_expert);
  CHECK(find(per, "model.layers.0.mlp.experts.0.gate_proj.weight_quantizer") != nullptr);
  CHECK(find(per, "model.layers.0.mlp.gate.weight_quantizer") != nullptr);
  CHECK(find(per, "model.layers.0.mlp.experts.gate_up_proj_input_quantizer") == nullptr);
}
