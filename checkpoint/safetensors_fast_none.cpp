// Built when simdjson is not installed: the fast readers decline every input, so the reference
// readers (nlohmann) read everything, with the same results and diagnostics, only slower.
#include "checkpoint/safetensors_fast.h"

namespace qcfg::checkpoint {

std::optional<std::vector<TensorInfo>> header_tensors_fast(std::string_view, uint64_t,
                                                           const std::string&) {
  return std::nullopt;
}

std::optional<ShardMap> shard_map_fast(std::string_view) { return std::nullopt; }

bool index_pairs_fast(std::string_view, char*,
                      std::vector<std::pair<std::string_view, std::string_view>>&) {
  return false;
}

bool header_records_fast(std::string&, uint64_t, const std::string*, RecordedTensors::Shard&,
                         std::vector<TensorRecord>&) {
  return false;
}

}  // namespace qcfg::checkpoint
