// The schemas a recipe-tree file can declare (`# modelopt-schema: <python path>`) or be loaded
// with, and the type structure the import resolver needs from them: which child position of a
// schema holds which schema, and which positions are typed lists (ModelOpt threads the schema
// down to decide whether a list-position `$import` splices or appends).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace qcfg::loader {

enum class SchemaKind {
  None,
  // Models.
  AttributeConfig,  // QuantizerAttributeConfig
  RotateConfig,
  Entry,           // QuantizerCfgEntry
  QuantizeConfig,  // QuantizeConfig
  PtqRecipe,       // ModelOptPTQRecipe
  AutoQuantizeRecipe,
  SpeculativeEagleRecipe,
  SpeculativeDflashRecipe,
  SpeculativeMedusaRecipe,
  RecipeMetadata,
  AutoQuantizeConfig,
  ModuleSearchSpace,
  // Typed lists.
  EntryList,          // list[QuantizerCfgEntry] (QuantizerCfgListConfig)
  AttributeList,      // list[QuantizerAttributeConfig] (an entry's cfg written as a list)
  QuantizeConfigList, // list[QuantizeConfig] (candidate_formats)
  StringList,         // list[str] (LayerPatternList)
  SearchSpaceList,    // list[ModuleSearchSpace]
  // Unions that matter for positions.
  EntryCfg,  // QuantizerAttributeConfig | list[QuantizerAttributeConfig] | None
};

// The schema of the value under `key` of a mapping validated with `parent`.
SchemaKind child_schema(SchemaKind parent, std::string_view key);
// The element schema when `list_schema` is (or, for a union, contains) a typed list; None otherwise.
SchemaKind list_element_schema(SchemaKind list_schema);
// The list schema whose elements are `element` (for "expected list schema" messages), or None.
bool is_typed_list(SchemaKind s);

// Name used in messages: the class name ("QuantizeConfig"), "list" for list aliases.
std::string schema_class_name(SchemaKind s);
// Text pydantic prints for a type, e.g. "QuantizerCfgEntry" or
// "list[modelopt.torch.quantization.config.QuantizerCfgEntry]".
std::string schema_type_text(SchemaKind s);

// Result of looking up a `# modelopt-schema:` path.
struct SchemaLookup {
  SchemaKind kind = SchemaKind::None;
  std::string error;  // non-empty when the path does not resolve (ModelOpt's reason)
};
SchemaLookup schema_from_header_path(std::string_view path);

}  // namespace qcfg::loader
