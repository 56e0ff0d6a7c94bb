// JSON Schema (draft-07) of ModelOpt recipe-tree files and quant_cfg, for editors
// (yaml-language-server `# yaml-language-server: $schema=...`) and CI. One source of truth: the
// schema is built here from the attribute table below, checked against the validator's own field
// list and defaults (schema/attribute_config.h); the files shipped in schema/ are its output.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/value.h"

namespace qcfg::migrations {

enum class SchemaDocKind {
  Recipe,          // any file of a recipe tree: recipes, presets, entry lists, snippets
  QuantCfg,        // a quant_cfg value: the entry list or a legacy form
  QuantizeConfig,  // a QuantizeConfig mapping (quant_cfg, algorithm, effective_bits)
  Entry,           // one QuantizerCfgEntry
  Attributes,      // a QuantizerAttributeConfig (numeric-format snippets)
};

struct SchemaDocInfo {
  SchemaDocKind kind;
  std::string_view name;       // --kind value
  std::string_view file_name;  // shipped as schema/<file_name>
  std::string_view title;
};

const std::vector<SchemaDocInfo>& schema_documents();
std::optional<SchemaDocKind> schema_kind_from_name(std::string_view name);

// The schema document of `kind`, self-contained (every definition it uses included).
Value json_schema(SchemaDocKind kind);
// Its text as shipped: 2-space JSON in definition order, final newline.
std::string json_schema_text(SchemaDocKind kind);

// Names of the attributes the schema describes, in the validator's declaration order.
std::vector<std::string> schema_attribute_names();

}  // namespace qcfg::migrations
