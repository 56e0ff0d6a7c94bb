// The tensors of a sharded checkpoint as light records: names in one buffer per shard, shapes in
// another, the shard's file name shared, instead of a TensorInfo with three heap blocks of its
// own per tensor. Deriving the inventory of DeepSeek-V3 (90k tensors, half of them scales that no
// quantizer reads) built, moved and freed 90k TensorInfos and 90k copied index names; a record is
// turned into a TensorInfo only for the weights a quantizer keeps.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/safetensors.h"

namespace qcfg::checkpoint {

// One tensor. Views into the buffers of a RecordedTensors, or into a TensorInfo (`source`).
struct TensorRecord {
  std::string_view name;
  std::string_view dtype;
  const std::string* file = nullptr;
  const int64_t* shape_data = nullptr;
  uint32_t rank = 0;
  uint64_t nbytes = 0;
  uint64_t data_offset = 0;
  // The TensorInfo viewed, when the records were made from TensorInfos (records_of): take()
  // moves it out instead of copying.
  TensorInfo* source = nullptr;

  std::span<const int64_t> shape() const { return {shape_data, rank}; }
  TensorInfo info() const;  // a copy
  TensorInfo take() const;  // moves `source` out (once), else a copy
};

// Records viewing `tensors` (which must outlive them and not be resized).
std::vector<TensorRecord> records_of(std::vector<TensorInfo>& tensors);

// The records of a checkpoint and the buffers they point into (not movable: records point at
// `files`' strings and into the shards' buffers).
struct RecordedTensors {
  struct Shard {
    std::unique_ptr<char[]> names;
    std::vector<int64_t> dims;  // never resized once the records point into it
  };
  std::vector<std::string> files;  // shard file names (TensorRecord::file points at them)
  std::vector<Shard> shards;
  std::vector<TensorRecord> tensors;
};

// The tensors of a sharded checkpoint directory, the same set as
// indexed_tensors(read_checkpoint_files(dir)) (in another order: shard by shard, as each header
// lists them), when every shard's header lists exactly the tensors the index gives it and nothing
// is unusual. False otherwise (no index, a file or header the reference reader must judge, an
// index or header with tensors the other lacks): read_checkpoint_files then gives the result or
// the located error, as before (`out`, empty on entry, is then to be dropped).
bool read_indexed_records(const std::string& dir, RecordedTensors& out);

}  // namespace qcfg::checkpoint
