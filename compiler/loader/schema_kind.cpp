#include "compiler/loader/schema_kind.h"

#include <array>
#include <utility>

namespace qcfg::loader {

SchemaKind child_schema(SchemaKind parent, std::string_view key) {
  switch (parent) {
    case SchemaKind::Entry:
      return key == "cfg" ? SchemaKind::EntryCfg : SchemaKind::None;
    case SchemaKind::QuantizeConfig:
      return key == "quant_cfg" ? SchemaKind::EntryList : SchemaKind::None;
    case SchemaKind::AttributeConfig:
      return key == "rotate" ? SchemaKind::None : SchemaKind::None;
    case SchemaKind::PtqRecipe:
      if (key == "quantize") return SchemaKind::QuantizeConfig;
      return key == "metadata" ? SchemaKind::RecipeMetadata : SchemaKind::None;
    case SchemaKind::AutoQuantizeRecipe:
      if (key == "quantize") return SchemaKind::QuantizeConfig;  // Optional[QC] unwraps
      if (key == "auto_quantize") return SchemaKind::AutoQuantizeConfig;
      return key == "metadata" ? SchemaKind::RecipeMetadata : SchemaKind::None;
    case SchemaKind::SpeculativeEagleRecipe:
    case SchemaKind::SpeculativeDflashRecipe:
    case SchemaKind::SpeculativeMedusaRecipe:
      return key == "metadata" ? SchemaKind::RecipeMetadata : SchemaKind::None;
    case SchemaKind::AutoQuantizeConfig:
      if (key == "candidate_formats") return SchemaKind::QuantizeConfigList;
      if (key == "module_search_spaces") return SchemaKind::SearchSpaceList;
      if (key == "kv_cache") return SchemaKind::QuantizeConfig;
      if (key == "disabled_layers" || key == "cost_excluded_layers") {
        return SchemaKind::StringList;
      }
      return SchemaKind::None;
    case SchemaKind::ModuleSearchSpace:
      if (key == "candidate_formats") return SchemaKind::QuantizeConfigList;
      if (key == "module_name_patterns") return SchemaKind::StringList;
      return SchemaKind::None;
    default:
      return SchemaKind::None;
  }
}

SchemaKind list_element_schema(SchemaKind list_schema) {
  switch (list_schema) {
    case SchemaKind::EntryList:
      return SchemaKind::Entry;
    case SchemaKind::AttributeList:
    case SchemaKind::EntryCfg:  // the union's unique list member is list[QAC]
      return SchemaKind::AttributeConfig;
    case SchemaKind::QuantizeConfigList:
      return SchemaKind::QuantizeConfig;
    case SchemaKind::SearchSpaceList:
      return SchemaKind::ModuleSearchSpace;
    case SchemaKind::StringList:
      return SchemaKind::None;  // str: not a schema a snippet can declare
    default:
      return SchemaKind::None;
  }
}

bool is_typed_list(SchemaKind s) {
  switch (s) {
    case SchemaKind::EntryList:
    case SchemaKind::AttributeList:
    case SchemaKind::QuantizeConfigList:
    case SchemaKind::StringList:
    case SchemaKind::SearchSpaceList:
    case SchemaKind::EntryCfg:
      return true;
    default:
      return false;
  }
}

std::string schema_class_name(SchemaKind s) {
  switch (s) {
    case SchemaKind::None:
      return "";
    case SchemaKind::AttributeConfig:
      return "QuantizerAttributeConfig";
    case SchemaKind::RotateConfig:
      return "RotateConfig";
    case SchemaKind::Entry:
      return "QuantizerCfgEntry";
    case SchemaKind::QuantizeConfig:
      return "QuantizeConfig";
    case SchemaKind::PtqRecipe:
      return "ModelOptPTQRecipe";
    case SchemaKind::AutoQuantizeRecipe:
      return "ModelOptAutoQuantizeRecipe";
    case SchemaKind::SpeculativeEagleRecipe:
      return "ModelOptEagleRecipe";
    case SchemaKind::SpeculativeDflashRecipe:
      return "ModelOptDFlashRecipe";
    case SchemaKind::SpeculativeMedusaRecipe:
      return "ModelOptMedusaRecipe";
    case SchemaKind::RecipeMetadata:
      return "RecipeMetadataConfig";
    case SchemaKind::AutoQuantizeConfig:
      return "AutoQuantizeConfig";
    case SchemaKind::ModuleSearchSpace:
      return "ModuleSearchSpace";
    default:
      return "list";
  }
}

std::string schema_type_text(SchemaKind s) {
  const std::string prefix = "modelopt.torch.quantization.config.";
  switch (s) {
    case SchemaKind::EntryList:
      return "list[" + prefix + "QuantizerCfgEntry]";
    case SchemaKind::AttributeList:
      return "list[" + prefix + "QuantizerAttributeConfig]";
    case SchemaKind::QuantizeConfigList:
      return "list[" + prefix + "QuantizeConfig]";
    case SchemaKind::StringList:
      return "list[str]";
    case SchemaKind::SearchSpaceList:
      return "list[ModuleSearchSpace]";
    default:
      return schema_class_name(s);
  }
}

namespace {

struct KnownSchema {
  std::string_view module;
  std::string_view attribute;
  SchemaKind kind;
};

constexpr std::string_view kQuantConfigModule = "modelopt.torch.quantization.config";
constexpr std::string_view kRecipeConfigModule = "modelopt.recipe.config";

constexpr std::array<KnownSchema, 15> kKnownSchemas{{
    {kQuantConfigModule, "QuantizerAttributeConfig", SchemaKind::AttributeConfig},
    {kQuantConfigModule, "QuantizerCfgEntry", SchemaKind::Entry},
    {kQuantConfigModule, "QuantizerCfgListConfig", SchemaKind::EntryList},
    {kQuantConfigModule, "QuantizeQuantCfgType", SchemaKind::EntryList},
    {kQuantConfigModule, "QuantizeConfig", SchemaKind::QuantizeConfig},
    {kQuantConfigModule, "RotateConfig", SchemaKind::RotateConfig},
    {kRecipeConfigModule, "LayerPatternList", SchemaKind::StringList},
    {kRecipeConfigModule, "ModelOptPTQRecipe", SchemaKind::PtqRecipe},
    {kRecipeConfigModule, "ModelOptAutoQuantizeRecipe", SchemaKind::AutoQuantizeRecipe},
    {kRecipeConfigModule, "RecipeMetadataConfig", SchemaKind::RecipeMetadata},
    {kRecipeConfigModule, "AutoQuantizeConfig", SchemaKind::AutoQuantizeConfig},
    {kRecipeConfigModule, "ModuleSearchSpace", SchemaKind::ModuleSearchSpace},
    {kRecipeConfigModule, "ModelOptEagleRecipe", SchemaKind::SpeculativeEagleRecipe},
    {kRecipeConfigModule, "ModelOptDFlashRecipe", SchemaKind::SpeculativeDflashRecipe},
    {kRecipeConfigModule, "ModelOptMedusaRecipe", SchemaKind::SpeculativeMedusaRecipe},
}};

// Modules that exist in ModelOpt: a path into them with an unknown attribute is "cannot
// resolve", any other module is "module not found" (ModelOpt imports the module first).
constexpr std::array<std::string_view, 9> kKnownModules{{
    "modelopt",
    "modelopt.torch",
    "modelopt.recipe",
    kQuantConfigModule,
    kRecipeConfigModule,
    "modelopt.torch.opt.config",
    "modelopt.torch.opt.config_loader",
    "modelopt.recipe.loader",
    "modelopt.torch.quantization",
}};

}  // namespace

SchemaLookup schema_from_header_path(std::string_view path) {
  const std::string text(path);
  if (path.rfind("modelopt.", 0) != 0) {
    return {SchemaKind::None, "Unsupported modelopt-schema '" + text +
                                  "'; schemas must live under 'modelopt.'"};
  }
  const size_t dot = path.rfind('.');
  const std::string_view module = path.substr(0, dot);
  const std::string_view attribute = path.substr(dot + 1);
  if (module.empty() || attribute.empty()) {
    return {SchemaKind::None, "Invalid modelopt-schema path '" + text + "'"};
  }
  for (const KnownSchema& s : kKnownSchemas) {
    if (s.module == module && s.attribute == attribute) return {s.kind, ""};
  }
  for (std::string_view m : kKnownModules) {
    if (m == module) {
      return {SchemaKind::None, "Cannot resolve modelopt-schema '" + text + "'."};
    }
  }
  return {SchemaKind::None, "No module named '" + std::string(module) + "' (modelopt-schema '" +
                                text + "')"};
}

}  // namespace qcfg::loader
