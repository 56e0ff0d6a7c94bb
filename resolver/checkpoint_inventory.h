// ModelOpt's quantizer inventory of a Hugging Face checkpoint, derived from its tensor names and
// config.json (read by the checkpoint module, checkpoint/safetensors.h and checkpoint/config.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "checkpoint/config.h"
#include "checkpoint/expert_layout.h"
#include "checkpoint/safetensors.h"
#include "checkpoint/tensor_records.h"
#include "resolver/inventory.h"

namespace qcfg::resolver {

// `path` is a checkpoint directory (model.safetensors, or model.safetensors.index.json and its
// shards; config.json when present) or a single .safetensors file.
// `layout` decides how MoE experts are named (expert_layout.h).
Inventory inventory_from_checkpoint(const std::string& path,
                                    ExpertLayout layout = ExpertLayout::automatic);

// The derivation alone (tensors of all shards, in any order).
Inventory inventory_from_tensors(std::vector<TensorInfo> tensors,
                                 const std::optional<checkpoint::CheckpointConfig>& config,
                                 const std::string& origin,
                                 ExpertLayout layout = ExpertLayout::automatic);

// The same on records (checkpoint/tensor_records.h); the weights quantizers read are taken from
// them (TensorRecord::take).
Inventory inventory_from_records(const std::vector<checkpoint::TensorRecord>& tensors,
                                 const std::optional<checkpoint::CheckpointConfig>& config,
                                 const std::string& origin,
                                 ExpertLayout layout = ExpertLayout::automatic);

}  // namespace qcfg::resolver
