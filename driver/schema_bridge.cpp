#include "driver/schema_bridge.h"

#include "schema/attribute_config.h"
#include "schema/quantize_config.h"
#include "schema/quantizer_entry.h"
#include "schema/recipe_schema.h"
#include "schema/validation_context.h"

namespace qcfg::driver {
namespace {

using loader::SchemaKind;

Validated from_result(QuantizeConfigResult r, const std::string& path) {
  Validated v;
  v.errors = std::move(r.errors);
  v.warnings = std::move(r.warnings);
  if (r.config) v.quantize_configs.emplace_back(path, std::move(*r.config));
  return v;
}

Validated validate_entries(const Value& data, bool single) {
  Validated v;
  ValidationContext ctx(data.loc());
  std::vector<QuantizerEntry> entries;
  if (single) {
    if (auto e = validate_entry_mapping(data, ctx)) entries.push_back(std::move(*e));
  } else if (!data.is_list()) {
    ctx.error(data.loc(), "expected a list of entries, got " + data.python_type(), kRuleSchemaType);
  } else {
    for (size_t i = 0; i < data.items().size(); ++i) {
      auto scope = ctx.enter("[" + std::to_string(i) + "]", data.items()[i].loc());
      if (auto e = validate_entry_mapping(data.items()[i], ctx)) entries.push_back(std::move(*e));
    }
  }
  v.errors = std::move(ctx.errors());
  v.warnings = std::move(ctx.warnings());
  if (v.errors.empty()) v.entries = std::move(entries);
  return v;
}

Validated validate_strings(const Value& data) {
  Validated v;
  ValidationContext ctx(data.loc());
  if (!data.is_list()) {
    ctx.error(data.loc(), "expected a list of layer-name patterns, got " + data.python_type(),
              kRuleSchemaType);
  } else {
    for (const Value& item : data.items()) {
      if (!item.is_string()) {
        ctx.error(item.loc(), "a layer-name pattern must be a string, got " + item.python_type(),
                  kRuleSchemaType);
      }
    }
  }
  v.errors = std::move(ctx.errors());
  return v;
}

Validated from_recipe(RecipeResult r) {
  Validated v;
  v.errors = std::move(r.errors);
  v.warnings = std::move(r.warnings);
  v.quantize_configs = std::move(r.quantize_configs);
  if (v.errors.empty() && !r.model_dump.is_null()) v.model_dump = std::move(r.model_dump);
  return v;
}

}  // namespace

Validated validate_quantize_config(const Value& mapping, const std::string& path) {
  return from_result(qcfg::validate_quantize_config(mapping, path == "$" ? "" : path), path);
}

Validated validate_quant_cfg_value(const Value& quant_cfg, const std::string& path) {
  return from_result(qcfg::validate_quant_cfg(quant_cfg, path == "$" ? "" : path), path);
}

Validated validate_as(SchemaKind schema, const Value& data) {
  switch (schema) {
    case SchemaKind::QuantizeConfig:
      return driver::validate_quantize_config(data, "$");
    case SchemaKind::AttributeConfig: {
      AttributeConfigResult r = validate_attribute_config(data);
      Validated v;
      v.errors = std::move(r.errors);
      if (r.config) v.attributes = std::move(r.config->full);
      return v;
    }
    case SchemaKind::RotateConfig: {
      Validated v;
      ValidationContext ctx(data.loc());
      validate_rotate_config(data, ctx);
      v.errors = std::move(ctx.errors());
      return v;
    }
    case SchemaKind::Entry:
      return validate_entries(data, true);
    case SchemaKind::EntryList:
      return validate_entries(data, false);
    case SchemaKind::StringList:
      return validate_strings(data);
    case SchemaKind::PtqRecipe:
      return from_recipe(validate_ptq_recipe(data));
    case SchemaKind::AutoQuantizeRecipe:
      return from_recipe(validate_auto_quantize_recipe(data));
    case SchemaKind::SpeculativeEagleRecipe:
      return from_recipe(validate_speculative_recipe(data, "eagle"));
    case SchemaKind::SpeculativeDflashRecipe:
      return from_recipe(validate_speculative_recipe(data, "dflash"));
    case SchemaKind::SpeculativeMedusaRecipe:
      return from_recipe(validate_speculative_recipe(data, "medusa"));
    case SchemaKind::RecipeMetadata:
      return from_recipe(validate_recipe_metadata(data));
    case SchemaKind::AutoQuantizeConfig:
      return from_recipe(validate_auto_quantize_config(data));
    default:
      return Validated{};
  }
}

Validated validate_distillation_config(const Value& data) {
  return from_recipe(validate_dmd_config(data));
}

Value quantize_config_view(const QuantizeConfig& qc) { return qcfg::quantize_config_view(qc); }

Value entry_view(const QuantizerEntry& e) {
  Value v = Value::map();
  v.set("quantizer_name", Value::string(e.quantizer_name));
  v.set("parent_class", e.parent_class ? Value::string(*e.parent_class) : Value::null());
  v.set("enable", Value::boolean(e.enable));
  v.set("cfg", e.cfg_full);
  return v;
}

}  // namespace qcfg::driver
