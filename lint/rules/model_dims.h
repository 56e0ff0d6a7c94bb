// Layer dimensions from a model inventory: the size of the last axis a quantizer sees (the
// input-feature dim of a linear layer), from the weight tensor of its own module.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "resolver/inventory.h"

namespace qcfg::lint {

class LayerDims {
 public:
  explicit LayerDims(const resolver::Inventory& inv);
  // Last dim of the weight a weight quantizer reads, or of its module's weight for an input
  // quantizer (`X.input_quantizer` -> `X.weight_quantizer`; fused experts: `X.p_input_quantizer`
  // -> `X.p_weight_quantizers.0`). nullopt when the inventory has no shapes for it.
  std::optional<int64_t> last_dim(size_t quantizer) const;

 private:
  std::optional<int64_t> own_last_dim(size_t quantizer) const;
  const resolver::Inventory& inv_;
  std::unordered_map<std::string, size_t> index_;
};

}  // namespace qcfg::lint
