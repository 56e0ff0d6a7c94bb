// Built when simdjson is not installed: the fast reader declines every input, so the reference
// reader (nlohmann) reads everything, with the same results and diagnostics, only slower.
#include "resolver/inventory_fast.h"

namespace qcfg::resolver {

std::optional<Inventory> inventory_from_json_fast(std::string_view, const std::string&) {
  return std::nullopt;
}

}  // namespace qcfg::resolver
