#include "lint/rules/model_dims.h"

namespace qcfg::lint {
namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

LayerDims::LayerDims(const resolver::Inventory& inv) : inv_(inv) {
  for (size_t i = 0; i < inv.quantizers.size(); ++i) index_.emplace(inv.quantizers[i].name, i);
}

std::optional<int64_t> LayerDims::own_last_dim(size_t q) const {
  const auto& tensors = inv_.quantizers[q].tensors;
  if (tensors.empty() || tensors.front().shape.empty()) return std::nullopt;
  return tensors.front().shape.back();
}

std::optional<int64_t> LayerDims::last_dim(size_t q) const {
  if (auto own = own_last_dim(q)) return own;
  const std::string& name = inv_.quantizers[q].name;
  const std::string input = "input_quantizer";
  if (!ends_with(name, input)) return std::nullopt;
  const std::string stem = name.substr(0, name.size() - input.size());
  for (const std::string& sibling : {stem + "weight_quantizer", stem + "weight_quantizers.0"}) {
    if (auto it = index_.find(sibling); it != index_.end()) return own_last_dim(it->second);
  }
  return std::nullopt;
}

}  // namespace qcfg::lint
