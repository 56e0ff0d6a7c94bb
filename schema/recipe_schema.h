// Recipe-level schemas (shared/spec/quant_cfg.md §3.12): RecipeMetadataConfig, ModelOptPTQRecipe,
// ModelOptAutoQuantizeRecipe (with AutoQuantizeConfig), the speculative-decoding recipes, and
// LayerPatternList. Every nested QuantizeConfig is validated (and normalized) like any other.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/value.h"
#include "schema/entry.h"
#include "schema/validation_context.h"

namespace qcfg {

enum class RecipeType { Ptq, AutoQuantize, SpeculativeEagle, SpeculativeDflash, SpeculativeMedusa };

// By enum value, case-sensitive ("ptq", "auto_quantize", "speculative_eagle", ...).
std::optional<RecipeType> recipe_type_from_value(std::string_view value);
const char* recipe_type_value(RecipeType type);
// The section a recipe of this type must have: quantize, auto_quantize, eagle, dflash, medusa.
const char* recipe_section(RecipeType type);

struct RecipeMetadata {
  RecipeType recipe_type = RecipeType::Ptq;
  std::string description = "Model optimization recipe.";
  SourceLocation loc;
};

// A QuantizeConfig found inside a larger document, by path ("quantize",
// "auto_quantize.candidate_formats[0]", "auto_quantize.kv_cache", ...).
struct NamedQuantizeConfig {
  std::string path;
  QuantizeConfig config;
};

struct ValidatedRecipe {
  RecipeMetadata metadata;
  std::vector<NamedQuantizeConfig> quantize_configs;
  // The validated auto_quantize section with defaults filled (nested QCs as their contract
  // views); null for other recipe types.
  Value auto_quantize;
  // The whole recipe as ModelOpt's `model_dump()` gives it (nested QCs as contract views).
  Value model_dump;
};

std::optional<RecipeMetadata> validate_recipe_metadata(const Value& data, ValidationContext& ctx);

// Validates a recipe document against the class of `type` (the type the caller peeked from
// `metadata.recipe_type`). `metadata.recipe_type` itself must be a valid RecipeType.
std::optional<ValidatedRecipe> validate_recipe(RecipeType type, const Value& data,
                                               ValidationContext& ctx);

// The auto_quantize section alone (AutoQuantizeConfig). `path` prefixes the paths of nested
// QuantizeConfigs ("auto_quantize" inside a recipe, "$" standalone).
std::optional<Value> validate_auto_quantize_config(const Value& data, const std::string& path,
                                                   ValidationContext& ctx,
                                                   std::vector<NamedQuantizeConfig>* configs);

// One `module_search_spaces` item.
std::optional<Value> validate_module_search_space(const Value& data, const std::string& path,
                                                  ValidationContext& ctx,
                                                  std::vector<NamedQuantizeConfig>* configs);

// list[str] (LayerPatternList, disabled_layers, module_name_patterns...).
std::optional<std::vector<std::string>> validate_string_list(const Value& data,
                                                             ValidationContext& ctx);

// Standalone entry points (driver, snippets): each collects its own diagnostics.
struct RecipeResult {
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  std::vector<std::pair<std::string, QuantizeConfig>> quantize_configs;  // by path
  std::optional<RecipeMetadata> metadata;
  Value auto_quantize;  // AutoQuantizeConfig dump (auto_quantize recipes / section)
  // model_dump() of a validated recipe or DMDConfig; null otherwise.
  Value model_dump;
  bool ok() const { return errors.empty(); }
};
RecipeResult validate_ptq_recipe(const Value& data);
RecipeResult validate_auto_quantize_recipe(const Value& data);
// `section` is "eagle", "dflash" or "medusa".
RecipeResult validate_speculative_recipe(const Value& data, std::string_view section);
RecipeResult validate_recipe_metadata(const Value& data);
// The section alone; nested QuantizeConfig paths start with "$".
RecipeResult validate_auto_quantize_config(const Value& data);
// A fastgen distillation file as `load_dmd_config` reads it: DMDConfig(**mapping); an empty
// file (null) is `{}`.
RecipeResult validate_dmd_config(const Value& data);

}  // namespace qcfg
