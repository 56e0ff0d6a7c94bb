// Reading Hugging Face safetensors checkpoints without touching tensor data: only the 8-byte
// header length and the JSON header of each file are read, validated and turned into TensorInfo.
// Then ModelOpt's quantizer names are derived from the tensor names (checkpoint_inventory.cpp).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "resolver/inventory.h"

namespace qcfg::resolver {

struct SafetensorsHeader {
  std::string path;
  uint64_t file_size = 0;
  uint64_t header_size = 0;
  std::vector<TensorInfo> tensors;  // in header order
};

// Reads and validates one file's header. Throws InventoryError naming the file (and tensor):
// file shorter than 8 bytes, header length beyond the file, header not a JSON object, unknown
// dtype, bad shape, offsets out of the data section, reversed or overlapping offsets, byte size
// different from dtype x shape.
SafetensorsHeader read_safetensors_header(const std::string& path);

// Bytes per element x 8 of a safetensors dtype (4 for F4, 6 for F6_*), or 0 if unknown.
int dtype_bits(const std::string& dtype);

// What qcfg takes from config.json.
struct CheckpointConfig {
  std::string architecture;  // architectures[0], e.g. "LlamaForCausalLM"
  int64_t vocab_size = 0;    // top level or text_config
};

// `path` is a checkpoint directory (model.safetensors, or model.safetensors.index.json and its
// shards; config.json when present) or a single .safetensors file.
Inventory inventory_from_checkpoint(const std::string& path);

// The derivation alone (tensors of all shards, in any order).
Inventory inventory_from_tensors(std::vector<TensorInfo> tensors,
                                 const std::optional<CheckpointConfig>& config,
                                 const std::string& origin);

}  // namespace qcfg::resolver
