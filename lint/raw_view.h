// Where a file's raw documents hold `quant_cfg` values, and their entries as written. Raw rules
// (spelling, legacy forms, YAML typing) look at what the user wrote in this file, before imports
// and normalization; `$import` items are left to the snippet's own lint.
#pragma once

#include <string_view>
#include <vector>

#include "lint/context.h"

namespace qcfg::lint {

// `input_kind` is the loaded file's kind, empty when loading failed (the shape decides then).
std::vector<RawQuantCfg> find_raw_quant_cfgs(const std::vector<Value>& documents,
                                             std::string_view schema_header,
                                             std::string_view input_kind);

// Entries of one raw quant_cfg in order (list items without `$import`, or legacy pairs).
std::vector<RawEntryRef> raw_entries(const RawQuantCfg& q);

// True for a list item or pair that ModelOpt reads in a legacy form (one-key or `nn.*` items,
// flat-mapping pairs).
bool is_legacy(const RawEntryRef& e);

}  // namespace qcfg::lint
