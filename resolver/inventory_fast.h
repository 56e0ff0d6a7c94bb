// The fast reader of JSON inventories (simdjson): reads a well-formed inventory at hundreds of
// MB/s and computes no source positions. It accepts only what the reference reader
// (inventory.cpp, nlohmann) reads to the same Inventory; on anything else (invalid JSON, a record
// of the wrong shape, a number or key the two could read differently) it gives up, and the
// reference reader then produces the result or the located diagnostic. So positions are computed
// only when a diagnostic needs them, and the diagnostics stay exactly those of the reference.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "resolver/inventory.h"

namespace qcfg::resolver {

std::optional<Inventory> inventory_from_json_fast(std::string_view text, const std::string& origin);

// The reference reader (nlohmann), which inventory_from_json_text falls back to; for cross-checks.
Inventory inventory_from_json_reference(const std::string& text, const std::string& origin);

}  // namespace qcfg::resolver
