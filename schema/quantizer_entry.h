// QuantizerCfgEntry validation (shared/spec/quant_cfg.md §4.3): rule A (empty cfg), field coercion,
// the cfg union (attribute mapping | list of them | null), extra keys, rule B (no instruction).
#pragma once

#include <optional>

#include "compiler/normalize/normalize.h"
#include "schema/entry.h"
#include "schema/validation_context.h"

namespace qcfg {

// Validates one normalized entry at the context's current path (ModelOpt roots entry errors at
// `quant_cfg`, without the list index). Errors go to `ctx`; nullopt on failure.
std::optional<QuantizerEntry> validate_entry(const RawEntry& raw, ValidationContext& ctx);

// A new-format entry mapping validated directly (entry snippets: no legacy conversion).
std::optional<QuantizerEntry> validate_entry_mapping(const Value& mapping, ValidationContext& ctx);

}  // namespace qcfg
