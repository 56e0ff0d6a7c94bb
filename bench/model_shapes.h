// Giant-model shapes for the resolver and compile benchmarks: quantizer inventories shaped like
// DeepSeek-V3 (61 layers, 3 dense, 58 MoE with 256 routed experts + 1 shared: 135,459
// quantizers) and Kimi-K2 (61 layers, 1 dense, 60 MoE with 384 routed experts + 1 shared: 209,193
// quantizers), and a DeepSeek-V3-shaped checkpoint of 163 safetensors shards (headers as the real
// checkpoint's: FP8 E4M3 weights with F32 `weight_scale_inv`, BF16 norms; data left sparse).
#pragma once

#include <string>

#include "resolver/inventory.h"

namespace qcfg::bench {

struct MoeShape {
  const char* origin;
  int layers;
  int dense_layers;
  int routed_experts;
};

inline constexpr MoeShape kDeepseekV3{"deepseek-v3-shaped", 61, 3, 256};
inline constexpr MoeShape kKimiK2{"kimi-k2-shaped", 61, 1, 384};

// The quantizers ModelOpt inserts into such a model, in module order.
resolver::Inventory moe_inventory(const MoeShape& shape);

// Writes a DeepSeek-V3-shaped checkpoint (config.json, model.safetensors.index.json and
// `shards` .safetensors files whose data sections are holes) into `dir`, which must not exist.
// Returns the total header bytes written.
size_t write_deepseek_v3_checkpoint(const std::string& dir, int shards = 163);

}  // namespace qcfg::bench
