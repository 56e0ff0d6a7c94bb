// What qcfg takes from a checkpoint's config.json: the architecture (names the HF classes of the
// derived inventory), the vocabulary size and the model type and transformers version (which
// decide the expert layout, expert_layout.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace qcfg::checkpoint {

// What qcfg takes from config.json.
struct CheckpointConfig {
  std::string architecture;  // architectures[0], e.g. "LlamaForCausalLM"
  int64_t vocab_size = 0;    // top level or text_config
  std::string model_type;    // "qwen3_moe"; decides with transformers_version the expert layout
  std::string transformers_version;  // "5.17.0": the version that wrote the checkpoint
  // Experts of a MoE layer (num_local_experts, num_experts, n_routed_experts, ...); 0: not said.
  int64_t experts = 0;
};

// config.json of a checkpoint directory, or nullopt when there is none. Throws LocatedError
// (file:line:col) for invalid JSON.
std::optional<CheckpointConfig> read_checkpoint_config(const std::string& dir);

}  // namespace qcfg::checkpoint
