// QuantizerAttributeConfig and RotateConfig validation (shared/spec/quant_cfg.md §5): coercions,
// unions, field validators, cross-field rules, and the two dumps every consumer needs.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/value.h"
#include "schema/validation_context.h"

namespace qcfg {

struct AttributeConfig {
  // All 19 fields in declaration order, defaults filled; tuples stay tuple Values and integer
  // mapping keys stay int Values (the JSON writer renders them as strings).
  Value full;
  // Only the fields written in the input (declaration order), recursively: a RotateConfig
  // written as a mapping keeps only its written keys.
  Value set;
};

// The 19 QAC field names in declaration order.
const std::vector<std::string_view>& attribute_field_names();
// The full dump of QuantizerAttributeConfig() (all defaults).
Value default_attribute_dump();
// The full dump of RotateConfig() (all defaults).
Value default_rotate_dump();

// Validates `raw` as a QAC at the context's current path. Errors go to `ctx`; nullopt on failure.
std::optional<AttributeConfig> validate_attribute_config(const Value& raw, ValidationContext& ctx);
// Validates `raw` as a RotateConfig (full dump returned; `set` receives the written keys).
std::optional<Value> validate_rotate_config(const Value& raw, ValidationContext& ctx,
                                            Value* set = nullptr);

struct AttributeConfigResult {
  std::optional<AttributeConfig> config;
  std::vector<Diagnostic> errors;
  bool ok() const { return config.has_value(); }
};
// Standalone entry point (snippets): `loc_name` prefixes field paths in messages.
AttributeConfigResult validate_attribute_config(const Value& raw, std::string_view loc_name = "");

}  // namespace qcfg
