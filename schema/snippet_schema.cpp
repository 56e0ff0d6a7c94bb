#include "schema/snippet_schema.h"

#include <fmt/format.h>

#include "schema/coerce.h"
#include "schema/quantize_config.h"
#include "schema/quantizer_entry.h"

namespace qcfg {
namespace {

struct KnownSchema {
  std::string_view path;  // after "modelopt."
  SchemaKind kind;
};

constexpr KnownSchema kKnownSchemas[] = {
    {"torch.quantization.config.QuantizerAttributeConfig", SchemaKind::AttributeConfig},
    {"torch.quantization.config.QuantizerCfgEntry", SchemaKind::Entry},
    {"torch.quantization.config.QuantizerCfgListConfig", SchemaKind::EntryList},
    {"torch.quantization.config.QuantizeQuantCfgType", SchemaKind::EntryList},
    {"torch.quantization.config.QuantizeConfig", SchemaKind::QuantizeConfig},
    {"torch.quantization.config.RotateConfig", SchemaKind::RotateConfig},
    {"recipe.config.LayerPatternList", SchemaKind::StringList},
    {"recipe.config.ModelOptPTQRecipe", SchemaKind::PtqRecipe},
    {"recipe.config.ModelOptAutoQuantizeRecipe", SchemaKind::AutoQuantizeRecipe},
    {"recipe.config.RecipeMetadataConfig", SchemaKind::RecipeMetadata},
    {"recipe.config.AutoQuantizeConfig", SchemaKind::AutoQuantizeConfig},
};


template <class Fn>
void in_list(const Value& data, ValidationContext& ctx, Fn&& fn) {
  if (!data.is_list()) {
    ctx.error(data.loc(), fmt::format("Input should be a valid list, {}", got(data)),
              kRuleSchemaType);
    return;
  }
  for (size_t i = 0; i < data.items().size(); ++i) {
    auto scope = ctx.enter(fmt::format("[{}]", i), data.items()[i].loc());
    fn(data.items()[i], i);
  }
}

void validate_entries(SchemaKind kind, const Value& data, ValidationContext& ctx,
                      SchemaResult* out) {
  std::vector<QuantizerEntry> entries;
  if (kind == SchemaKind::Entry) {
    if (auto e = validate_entry_mapping(data, ctx)) entries.push_back(std::move(*e));
  } else {
    in_list(data, ctx, [&](const Value& item, size_t) {
      if (auto e = validate_entry_mapping(item, ctx)) entries.push_back(std::move(*e));
    });
  }
  out->entries = std::move(entries);
}

void validate_attribute_list(const Value& data, ValidationContext& ctx, SchemaResult* out) {
  in_list(data, ctx, [&](const Value& item, size_t) {
    if (auto a = validate_attribute_config(item, ctx)) out->attribute_list.push_back(*a);
  });
}

void validate_qc_list(const Value& data, ValidationContext& ctx, SchemaResult* out) {
  in_list(data, ctx, [&](const Value& item, size_t i) {
    if (auto qc = validate_quantize_config(item, ctx)) {
      out->quantize_configs.push_back({fmt::format("[{}]", i), std::move(*qc)});
    }
  });
}

void validate_recipe_kind(RecipeType type, const Value& data, ValidationContext& ctx,
                          SchemaResult* out) {
  if (auto recipe = validate_recipe(type, data, ctx)) {
    out->metadata = recipe->metadata;
    out->quantize_configs = std::move(recipe->quantize_configs);
    out->auto_quantize = recipe->auto_quantize;
  }
}

void dispatch(SchemaKind kind, const Value& data, ValidationContext& ctx, SchemaResult* out) {
  switch (kind) {
    case SchemaKind::AttributeConfig:
      out->attributes = validate_attribute_config(data, ctx);
      break;
    case SchemaKind::RotateConfig:
      if (auto r = validate_rotate_config(data, ctx)) out->rotate = *r;
      break;
    case SchemaKind::Entry:
    case SchemaKind::EntryList:
      validate_entries(kind, data, ctx, out);
      break;
    case SchemaKind::AttributeList:
      validate_attribute_list(data, ctx, out);
      break;
    case SchemaKind::EntryCfg:
      if (data.is_map()) {
        out->attributes = validate_attribute_config(data, ctx);
      } else if (!data.is_null()) {
        validate_attribute_list(data, ctx, out);
      }
      break;
    case SchemaKind::QuantizeConfig:
      if (auto qc = validate_quantize_config(data, ctx)) {
        out->quantize_configs.push_back({"$", std::move(*qc)});
      }
      break;
    case SchemaKind::QuantizeConfigList:
      validate_qc_list(data, ctx, out);
      break;
    case SchemaKind::StringList:
      out->strings = validate_string_list(data, ctx);
      break;
    case SchemaKind::RecipeMetadata:
      out->metadata = validate_recipe_metadata(data, ctx);
      break;
    case SchemaKind::AutoQuantizeConfig:
      if (auto aq = validate_auto_quantize_config(data, "$", ctx, &out->quantize_configs)) {
        out->auto_quantize = *aq;
      }
      break;
    case SchemaKind::ModuleSearchSpace:
      if (auto s = validate_module_search_space(data, "$", ctx, &out->quantize_configs)) {
        out->module_search_spaces = *s;
      }
      break;
    case SchemaKind::SearchSpaceList: {
      Value spaces = Value::list(data.loc());
      in_list(data, ctx, [&](const Value& item, size_t i) {
        auto s =
            validate_module_search_space(item, fmt::format("[{}]", i), ctx, &out->quantize_configs);
        if (s) spaces.push_back(*s);
      });
      out->module_search_spaces = spaces;
      break;
    }
    case SchemaKind::PtqRecipe:
      validate_recipe_kind(RecipeType::Ptq, data, ctx, out);
      break;
    case SchemaKind::AutoQuantizeRecipe:
      validate_recipe_kind(RecipeType::AutoQuantize, data, ctx, out);
      break;
    case SchemaKind::SpeculativeEagleRecipe:
      validate_recipe_kind(RecipeType::SpeculativeEagle, data, ctx, out);
      break;
    case SchemaKind::SpeculativeDflashRecipe:
      validate_recipe_kind(RecipeType::SpeculativeDflash, data, ctx, out);
      break;
    case SchemaKind::SpeculativeMedusaRecipe:
      validate_recipe_kind(RecipeType::SpeculativeMedusa, data, ctx, out);
      break;
    case SchemaKind::None:
      break;  // no schema: nothing to check
  }
}

}  // namespace

// Header paths resolve once, in the loader (which must reject bad headers before any schema
// exists); these are the schema stage's names for the same lookup.
std::optional<SchemaKind> schema_from_path(std::string_view path) {
  const loader::SchemaLookup lookup = loader::schema_from_header_path(path);
  if (!lookup.error.empty() || lookup.kind == SchemaKind::None) return std::nullopt;
  return lookup.kind;
}

std::string schema_path_error(std::string_view path) {
  return loader::schema_from_header_path(path).error;
}

std::string schema_path(SchemaKind kind) {
  for (const KnownSchema& s : kKnownSchemas) {
    if (s.kind == kind) return "modelopt." + std::string(s.path);
  }
  return "";
}

SchemaResult validate_schema(SchemaKind kind, const Value& data) {
  ValidationContext ctx(data.loc());
  SchemaResult out;
  out.rotate = Value::null(data.loc());
  out.auto_quantize = Value::null(data.loc());
  out.module_search_spaces = Value::null(data.loc());
  dispatch(kind, data, ctx, &out);
  out.errors = std::move(ctx.errors());
  out.warnings = std::move(ctx.warnings());
  return out;
}

}  // namespace qcfg
