// The snippet-schema registry: which schema a `# modelopt-schema: <path>` header names
// (shared/spec/quant_cfg.md §3.2), and validation of a loaded value against any of them.
// Independent of files and imports: the loader resolves imports, then calls validate_schema.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/loader/schema_kind.h"
#include "compiler/value.h"
#include "schema/attribute_config.h"
#include "schema/entry.h"
#include "schema/recipe_schema.h"

namespace qcfg {

// One enum for loader and schema: the loader threads it through import positions.
using SchemaKind = loader::SchemaKind;

// The schema a header path names, or nullopt (see schema_path_error for why).
std::optional<SchemaKind> schema_from_path(std::string_view path);
// ModelOpt's reason for rejecting a header path ("Unsupported modelopt-schema ...",
// "Invalid modelopt-schema path ...", "No module named ...", "Cannot resolve modelopt-schema
// ..."); empty when the path resolves.
std::string schema_path_error(std::string_view path);
// The canonical header path of a schema ("modelopt.torch.quantization.config.QuantizeConfig");
// empty for kinds that have none (positions such as EntryCfg).
std::string schema_path(SchemaKind kind);

struct SchemaResult {
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  // Filled according to the schema:
  std::optional<AttributeConfig> attributes;           // QuantizerAttributeConfig
  std::vector<AttributeConfig> attribute_list;         // list[QAC] / EntryCfg list
  Value rotate;                                        // RotateConfig full dump
  std::optional<std::vector<QuantizerEntry>> entries;  // entry (1 item) / entry list
  std::vector<NamedQuantizeConfig> quantize_configs;   // "$" for a QC; recipe paths
  std::optional<std::vector<std::string>> strings;     // LayerPatternList
  std::optional<RecipeMetadata> metadata;              // RecipeMetadataConfig or recipe
  Value auto_quantize;                                 // AutoQuantizeConfig dump
  Value module_search_spaces;                          // ModuleSearchSpace(s) dump

  bool ok() const { return errors.empty(); }
};

// `TypeAdapter(schema).validate_python(data)`. Errors are located at source nodes and their
// messages carry the pydantic-like field path (rooted at the document, no prefix).
SchemaResult validate_schema(SchemaKind kind, const Value& data);

}  // namespace qcfg
