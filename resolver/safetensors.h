// Reading Hugging Face safetensors checkpoints without touching tensor data: only the 8-byte
// header length and the JSON header of each file are read, validated and turned into TensorInfo.
// Then ModelOpt's quantizer names are derived from the tensor names (checkpoint_inventory.cpp).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/expert_layout.h"
#include "resolver/inventory.h"

namespace qcfg::resolver {

struct SafetensorsHeader {
  std::string path;
  uint64_t file_size = 0;
  uint64_t header_size = 0;
  std::vector<TensorInfo> tensors;  // in header order
};

// Reads and validates one file's header. Throws InventoryError whose message starts with
// `file:line:col:` (the byte of the header at fault; a tensor's errors point at its name):
// file shorter than 8 bytes, header length beyond the file, header not a JSON object, unknown
// dtype, bad shape, offsets out of the data section, reversed or overlapping offsets, byte size
// different from dtype x shape or beyond 64 bits.
SafetensorsHeader read_safetensors_header(const std::string& path);

// The same on a whole file held in memory (fuzzing, tests).
SafetensorsHeader parse_safetensors_bytes(const std::string& path, std::string_view bytes);

// model.safetensors.index.json's `weight_map`, grouped: shard file -> tensor names, in order.
// Throws InventoryError (located) for malformed JSON, a missing map, or a shard that is not a
// relative path inside the checkpoint directory (absolute, `..`).
using ShardMap = std::map<std::string, std::vector<std::string>>;
ShardMap parse_safetensors_index(const std::string& index_path, const std::string& text);

// The same, read from the file (bounded, regular files only): the one reader of the shard index,
// used by the inventory and by the runtime, so both accept exactly the same shard names.
ShardMap read_safetensors_index(const std::string& index_path);

// A name relative to the checkpoint directory that stays inside it: not empty, no root, no `..`
// component, no NUL, a file name at the end. Shard names must be such names; the runtime writes
// its outputs only under such names inside its staging directory.
bool plain_relative_path(const std::string& name);

// Bytes per element x 8 of a safetensors dtype (4 for F4, 6 for F6_*), or 0 if unknown.
int dtype_bits(const std::string& dtype);

// What qcfg takes from config.json.
struct CheckpointConfig {
  std::string architecture;  // architectures[0], e.g. "LlamaForCausalLM"
  int64_t vocab_size = 0;    // top level or text_config
  std::string model_type;    // "qwen3_moe"; decides with transformers_version the expert layout
  std::string transformers_version;  // "5.17.0": the version that wrote the checkpoint
};

// config.json of a checkpoint directory, or nullopt when there is none. Throws InventoryError
// (located) for invalid JSON.
std::optional<CheckpointConfig> read_checkpoint_config(const std::string& dir);

// `path` is a checkpoint directory (model.safetensors, or model.safetensors.index.json and its
// shards; config.json when present) or a single .safetensors file.
// `layout` decides how MoE experts are named (expert_layout.h).
Inventory inventory_from_checkpoint(const std::string& path,
                                    ExpertLayout layout = ExpertLayout::automatic);

// The derivation alone (tensors of all shards, in any order).
Inventory inventory_from_tensors(std::vector<TensorInfo> tensors,
                                 const std::optional<CheckpointConfig>& config,
                                 const std::string& origin,
                                 ExpertLayout layout = ExpertLayout::automatic);

}  // namespace qcfg::resolver
