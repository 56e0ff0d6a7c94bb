#include "lint/rules/model_dims.h"

#include "checkpoint/hf_names.h"

namespace qcfg::lint {

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
  for (const std::string& sibling :
       checkpoint::weight_quantizers_for_input(inv_.quantizers[q].name)) {
    if (auto it = index_.find(sibling); it != index_.end()) return own_last_dim(it->second);
  }
  return std::nullopt;
}

}  // namespace qcfg::lint
