// Built when simdjson is not installed: the fast readers decline every input, so the reference
// readers (nlohmann) read everything, with the same results and diagnostics, only slower.
#include "resolver/inventory_fast.h"
#include "resolver/safetensors_fast.h"

namespace qcfg::resolver {

std::optional<Inventory> inventory_from_json_fast(std::string_view, const std::string&) {
  return std::nullopt;
}

std::optional<std::vector<TensorInfo>> header_tensors_fast(std::string_view, uint64_t,
                                                           const std::string&) {
  return std::nullopt;
}

std::optional<ShardMap> shard_map_fast(std::string_view) { return std::nullopt; }

}  // namespace qcfg::resolver
