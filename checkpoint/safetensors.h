// Reading Hugging Face safetensors checkpoints without touching tensor data: only the 8-byte
// header length and the JSON header of each file are read, validated and turned into TensorInfo
// (with each tensor's offset, so that a reader of the data needs no second parse), and the shard
// index model.safetensors.index.json. The one reader of both: the resolver's inventory, the
// linter (through it) and the runtime's mapped checkpoint all call it, so every command accepts
// and refuses the same files with the same messages.
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qcfg::checkpoint {

// A problem with a checkpoint file: where (the file, or file:line:col at the byte of a header at
// fault) and what. what() is "WHERE: MESSAGE"; the CLI prints
// "WHERE: error: MESSAGE [inventory]" like every other diagnostic.
class LocatedError : public std::runtime_error {
 public:
  LocatedError(std::string where, std::string message)
      : std::runtime_error(where.empty() ? message : where + ": " + message),
        where_(std::move(where)),
        message_(std::move(message)) {}
  explicit LocatedError(std::string message) : LocatedError(std::string(), std::move(message)) {}

  const std::string& where() const { return where_; }
  const std::string& message() const { return message_; }

 private:
  std::string where_;
  std::string message_;
};

// One tensor of a checkpoint (or the weight a quantizer reads, in a checkpoint-derived inventory).
struct TensorInfo {
  std::string name;   // tensor name in the checkpoint
  std::string dtype;  // safetensors dtype ("BF16", "F8_E4M3", ...)
  std::vector<int64_t> shape;
  uint64_t nbytes = 0;
  std::string file;  // shard file name
  // For a fused expert tensor split per expert (`experts.gate_up_proj` [E, ...]): the expert
  // index this quantizer reads, else -1 (nbytes is then that expert's share).
  int64_t expert_slice = -1;
  // For a per-expert weight read by a fused-layout quantizer (expert_layout.h): its row block in
  // the fused parameter (gate_proj 0, up_proj 1 of gate_up_proj; down_proj 0), else -1. The
  // quantizer sees the blocks concatenated along dim 0.
  int fused_part = -1;
  // Start of the tensor's bytes in the data section (after the 8-byte length and the header).
  uint64_t data_offset = 0;
};

struct SafetensorsHeader {
  std::string path;
  uint64_t file_size = 0;
  uint64_t header_size = 0;
  std::vector<TensorInfo> tensors;  // in header order
};

// Reads and validates one file's header. Throws LocatedError whose message starts with
// `file:line:col:` (the byte of the header at fault; a tensor's errors point at its name):
// file shorter than 8 bytes, header length beyond the file, header not a JSON object, unknown
// dtype, bad shape, offsets out of the data section, reversed or overlapping offsets, byte size
// different from dtype x shape or beyond 64 bits.
SafetensorsHeader read_safetensors_header(const std::string& path);

// The same on a whole file held in memory (fuzzing, tests).
SafetensorsHeader parse_safetensors_bytes(const std::string& path, std::string_view bytes);

// model.safetensors.index.json's `weight_map`, grouped: shard file -> tensor names, in order.
// Throws LocatedError for malformed JSON, a missing map, or a shard that is not a relative path
// inside the checkpoint directory (absolute, `..`).
using ShardMap = std::map<std::string, std::vector<std::string>>;
ShardMap parse_safetensors_index(const std::string& index_path, const std::string& text);

// The same, read from the file (bounded_file.h: regular files only, kMaxJsonFileBytes).
ShardMap read_safetensors_index(const std::string& index_path);

// A name relative to the checkpoint directory that stays inside it: not empty, no root, no `..`
// component, no NUL, a file name at the end. Shard names must be such names; the runtime writes
// its outputs only under such names inside its staging directory.
bool plain_relative_path(const std::string& name);

// `path:line:col` of byte `offset` of `text` (a JSON file, or a header after its length prefix).
std::string text_location(const std::string& path, std::string_view text, size_t offset);

// Bytes per element x 8 of a safetensors dtype (4 for F4, 6 for F6_*), or 0 if unknown.
int dtype_bits(std::string_view dtype);

// The known dtype's name as a view of a static string (it outlives any header), or "".
std::string_view dtype_name(std::string_view dtype);

// The file names of a checkpoint directory (the Hugging Face layout).
inline constexpr std::string_view kSingleFile = "model.safetensors";
inline constexpr std::string_view kIndexFile = "model.safetensors.index.json";
inline constexpr std::string_view kConfigFile = "config.json";

// The safetensors files of a checkpoint directory, each header read once and validated: the
// index and its shards (every tensor the index names must be in its shard), or model.safetensors.
struct CheckpointFiles {
  bool sharded = false;
  ShardMap index;                         // empty unless sharded
  std::vector<SafetensorsHeader> shards;  // in `index` order; one when not sharded
};
// Throws LocatedError (also when the directory has neither file).
CheckpointFiles read_checkpoint_files(const std::string& dir);

// The tensors the checkpoint declares: those the index names, shard by shard in index order, or
// every tensor of model.safetensors.
std::vector<TensorInfo> indexed_tensors(CheckpointFiles files);

}  // namespace qcfg::checkpoint
