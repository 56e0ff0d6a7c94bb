// Fast readers (simdjson) of safetensors headers and of model.safetensors.index.json, on the same
// terms as inventory_fast.h: they return exactly what the reference readers of safetensors.cpp
// (nlohmann) return, or nothing where they cannot be sure (invalid or unusual JSON, a header or
// index the reference rejects), and the reference then gives the result or the located error.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkpoint/safetensors.h"
#include "checkpoint/tensor_records.h"

namespace qcfg::checkpoint {

// The tensors of a header (the JSON text, after the 8-byte length), sorted by name as the
// reference's std::map-ordered DOM lists them, each validated against the `data_size` bytes of
// the data section. `file` is the shard's file name (TensorInfo::file).
std::optional<std::vector<TensorInfo>> header_tensors_fast(std::string_view json,
                                                           uint64_t data_size,
                                                           const std::string& file);

// An index's weight_map grouped by shard, names in name order.
std::optional<ShardMap> shard_map_fast(std::string_view json);

// The index's weight_map as (tensor, shard) pairs in file order, their text copied into `names`
// (room for json.size() bytes); false where shard_map_fast gives nothing for a reason other than
// a repeated tensor or a shard name that is not a plain relative path (the caller checks those).
bool index_pairs_fast(std::string_view json, char* names,
                      std::vector<std::pair<std::string_view, std::string_view>>& pairs);

// The tensors of a header appended to `out` as records in header order, their names and shapes
// in `buffers` (filled here), each validated as header_tensors_fast does except for repeated
// names (the caller matches every name against the index). False where header_tensors_fast
// would give nothing for another reason. `json` is parsed in place: grown by simdjson's padding
// for the parse and given back its size after.
bool header_records_fast(std::string& json, uint64_t data_size, const std::string* file,
                         RecordedTensors::Shard& buffers, std::vector<TensorRecord>& out);

}  // namespace qcfg::checkpoint
