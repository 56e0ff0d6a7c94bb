#include "schema/recipe_schema.h"

#include <fmt/format.h>

#include "schema/coerce.h"
#include "schema/distillation_schema.h"
#include "schema/model_spec.h"
#include "schema/quantize_config.h"
#include "schema/speculative_schema.h"

namespace qcfg {
namespace {

struct RecipeTypeInfo {
  RecipeType type;
  const char* value;
  const char* section;
};

constexpr RecipeTypeInfo kRecipeTypes[] = {
    {RecipeType::Ptq, "ptq", "quantize"},
    {RecipeType::AutoQuantize, "auto_quantize", "auto_quantize"},
    {RecipeType::SpeculativeEagle, "speculative_eagle", "eagle"},
    {RecipeType::SpeculativeDflash, "speculative_dflash", "dflash"},
    {RecipeType::SpeculativeMedusa, "speculative_medusa", "medusa"},
};

const RecipeTypeInfo& info(RecipeType type) {
  for (const RecipeTypeInfo& i : kRecipeTypes) {
    if (i.type == type) return i;
  }
  return kRecipeTypes[0];
}

// A QuantizeConfig at `field` of `parent` (null allowed when `nullable`).
std::optional<Value> nested_qc(const Value& v, const std::string& path, bool nullable,
                               ValidationContext& ctx, std::vector<NamedQuantizeConfig>* configs) {
  if (v.is_null() && nullable) return v;
  auto qc = validate_quantize_config(v, ctx);
  if (!qc) return std::nullopt;
  Value view = quantize_config_view(*qc);
  if (configs) configs->push_back({path, std::move(*qc)});
  return view;
}

// list[QuantizeConfig] with an optional minimum length.
std::optional<Value> qc_list(const Value& v, const std::string& path, size_t min_items,
                             ValidationContext& ctx, std::vector<NamedQuantizeConfig>* configs) {
  if (!v.is_list()) return reject(v, ctx, "must be a list of QuantizeConfig mappings");
  if (v.items().size() < min_items) {
    return reject(v, ctx, fmt::format("must have at least {} item(s)", min_items),
                  kRuleSchemaValue);
  }
  Value out = Value::list(v.loc());
  bool ok = true;
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto scope = ctx.enter(fmt::format("[{}]", i), v.items()[i].loc());
    auto view = nested_qc(v.items()[i], fmt::format("{}[{}]", path, i), false, ctx, configs);
    if (view) out.push_back(*view);
    ok = ok && view.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Value> string_list_value(const Value& v, size_t min_items, ValidationContext& ctx) {
  auto strings = validate_string_list(v, ctx);
  if (!strings) return std::nullopt;
  if (strings->size() < min_items) {
    return reject(v, ctx, fmt::format("must have at least {} item(s)", min_items),
                  kRuleSchemaValue);
  }
  return v;
}

std::optional<Value> validate_cost(const Value& v, ValidationContext& ctx) {
  if (v.is_null()) return v;
  if (!require_mapping(v, "cost", ctx)) return std::nullopt;
  size_t before = ctx.error_count();
  ModelBuilder b{v, ctx};
  b.field("active_moe_expert_ratio", Value::null(), [&](const Value& x) -> std::optional<Value> {
    if (x.is_null()) return x;
    return bounded_float(x, above(0), at_most(1), ctx);
  });
  reject_extra_keys(v, {"active_moe_expert_ratio"}, "cost", ctx);
  if (ctx.error_count() != before) return std::nullopt;
  return b.out;
}

std::optional<Value> validate_constraints(const Value& v, ValidationContext& ctx) {
  if (!require_mapping(v, "constraints", ctx)) return std::nullopt;
  size_t before = ctx.error_count();
  ModelBuilder b{v, ctx};
  b.field("effective_bits", Value::real(4.8),
          [&](const Value& x) { return bounded_float(x, above(0), at_most(16), ctx); });
  b.field("cost_model", Value::string("weight"), [&](const Value& x) {
    return literal(x, {"weight", "active_moe"}, ctx);
  });
  b.field("cost", Value::null(), [&](const Value& x) { return validate_cost(x, ctx); });
  reject_extra_keys(v, {"effective_bits", "cost_model", "cost"}, "constraints", ctx);
  if (ctx.error_count() != before) return std::nullopt;
  return b.out;
}

std::optional<Value> validate_search_space_list(const Value& v, const std::string& path,
                                                ValidationContext& ctx,
                                                std::vector<NamedQuantizeConfig>* configs) {
  if (!v.is_list()) return reject(v, ctx, "must be a list of module search spaces");
  Value out = Value::list(v.loc());
  bool ok = true;
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto scope = ctx.enter(fmt::format("[{}]", i), v.items()[i].loc());
    auto item =
        validate_module_search_space(v.items()[i], fmt::format("{}[{}]", path, i), ctx, configs);
    if (item) out.push_back(*item);
    ok = ok && item.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

void cross_rule_error(const Value& at, std::string text, ValidationContext& ctx) {
  ctx.error(at.loc(), std::move(text), kRuleSchemaValue);
}

bool is_empty_list(const Value& v) { return !v.is_list() || v.items().empty(); }

// ModelOptAutoQuantizeRecipe's cross rules between the baseline and the search space.
bool check_auto_quantize_baseline(const Value& section, bool has_baseline, ValidationContext& ctx) {
  const Value& formats = *section.find("candidate_formats");
  const Value& spaces = *section.find("module_search_spaces");
  if (has_baseline && !is_empty_list(formats)) {
    cross_rule_error(formats,
                     "with a fixed `quantize` baseline, top-level candidate_formats must be "
                     "empty; put the formats in module_search_spaces",
                     ctx);
    return false;
  }
  if (has_baseline && is_empty_list(spaces)) {
    cross_rule_error(
        section, "with a fixed `quantize` baseline, module_search_spaces must not be empty", ctx);
    return false;
  }
  if (!has_baseline && is_empty_list(formats)) {
    cross_rule_error(section, "without a `quantize` baseline, candidate_formats must not be empty",
                     ctx);
    return false;
  }
  return true;
}

// The sections of a speculative-decoding recipe, in ModelOpt's field order.
struct SpeculativeSection {
  const char* name;
  const ModelSpec& (*spec)();
};

std::vector<SpeculativeSection> speculative_sections(RecipeType type) {
  const ModelSpec& (*body)() = type == RecipeType::SpeculativeEagle    ? eagle_config_spec
                               : type == RecipeType::SpeculativeDflash ? dflash_config_spec
                                                                       : medusa_config_spec;
  return {{"model", model_arguments_spec},
          {"data", data_arguments_spec},
          {"training", training_arguments_spec},
          {recipe_section(type), body}};
}

// ModelOptSpeculativeRecipeBase and subclasses: every section is validated (an absent one is
// its class's defaults), then the recipe's after-validators run on the whole dump.
bool validate_speculative_sections(RecipeType type, const Value& data, Value& dump,
                                   ValidationContext& ctx) {
  bool ok = true;
  for (const SpeculativeSection& s : speculative_sections(type)) {
    // An absent section is validated from its defaults (validate_default=True), which runs
    // its after-validator (DataArguments derives `mode`).
    const Value empty = Value::map(data.loc());
    const Value* given = data.find(s.name);
    auto scope = ctx.enter(s.name, given ? given->loc() : data.loc());
    std::optional<Value> section = validate_model(s.spec(), given ? *given : empty, ctx);
    if (section) dump.set(s.name, *section);
    ok = ok && section.has_value();
  }
  return ok;
}

Value metadata_dump(const RecipeMetadata& meta) {
  Value out = Value::map(meta.loc);
  out.set("recipe_type", Value::string(recipe_type_value(meta.recipe_type)));
  out.set("description", Value::string(meta.description));
  return out;
}

}  // namespace

std::optional<RecipeType> recipe_type_from_value(std::string_view value) {
  for (const RecipeTypeInfo& i : kRecipeTypes) {
    if (value == i.value) return i.type;
  }
  return std::nullopt;
}

const char* recipe_type_value(RecipeType type) { return info(type).value; }
const char* recipe_section(RecipeType type) { return info(type).section; }

std::optional<std::vector<std::string>> validate_string_list(const Value& data,
                                                             ValidationContext& ctx) {
  if (!data.is_list()) {
    reject(data, ctx, "must be a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < data.items().size(); ++i) {
    auto scope = ctx.enter(fmt::format("[{}]", i), data.items()[i].loc());
    auto s = strict_str(data.items()[i], ctx);
    if (s) out.push_back(s->as_string());
    ok = ok && s.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<RecipeMetadata> validate_recipe_metadata(const Value& data, ValidationContext& ctx) {
  if (!require_mapping(data, "RecipeMetadataConfig", ctx)) return std::nullopt;
  size_t before = ctx.error_count();
  RecipeMetadata meta;
  meta.loc = data.loc();
  if (const Value* t = data.find("recipe_type")) {
    auto scope = ctx.enter("recipe_type", t->loc());
    auto type = t->is_string() ? recipe_type_from_value(t->as_string()) : std::nullopt;
    if (type) {
      meta.recipe_type = *type;
    } else {
      reject(*t, ctx,
             "recipe_type must be one of 'ptq', 'auto_quantize', 'speculative_eagle', "
             "'speculative_dflash', 'speculative_medusa' (case-sensitive)",
             kRuleSchemaValue);
    }
  } else {
    missing(data, "recipe_type", "the recipe type, e.g. ptq", ctx);
  }
  if (const Value* d = data.find("description")) {
    auto scope = ctx.enter("description", d->loc());
    if (auto s = strict_str(*d, ctx)) meta.description = s->as_string();
  }
  reject_extra_keys(data, {"recipe_type", "description"}, "RecipeMetadataConfig", ctx);
  if (ctx.error_count() != before) return std::nullopt;
  return meta;
}

std::optional<Value> validate_module_search_space(const Value& data, const std::string& path,
                                                  ValidationContext& ctx,
                                                  std::vector<NamedQuantizeConfig>* configs) {
  if (!require_mapping(data, "a module search space", ctx)) return std::nullopt;
  size_t before = ctx.error_count();
  ModelBuilder b{data, ctx};
  if (!data.has("module_name_patterns")) {
    missing(data, "module_name_patterns", "list of module name patterns", ctx);
  }
  b.field("module_name_patterns", Value::list(),
          [&](const Value& x) { return string_list_value(x, 1, ctx); });
  if (!data.has("candidate_formats")) {
    missing(data, "candidate_formats", "list of QuantizeConfig candidates", ctx);
  }
  b.field("candidate_formats", Value::list(),
          [&](const Value& x) { return qc_list(x, path + ".candidate_formats", 1, ctx, configs); });
  b.field("allow_no_quant", Value::boolean(true), [&](const Value& x) { return lax_bool(x, ctx); });
  reject_extra_keys(data, {"module_name_patterns", "candidate_formats", "allow_no_quant"},
                    "a module search space", ctx);
  if (ctx.error_count() != before) return std::nullopt;
  return b.out;
}

std::optional<Value> validate_auto_quantize_config(const Value& data, const std::string& path,
                                                   ValidationContext& ctx,
                                                   std::vector<NamedQuantizeConfig>* configs) {
  if (!require_mapping(data, "AutoQuantizeConfig", ctx)) return std::nullopt;
  size_t before = ctx.error_count();
  ModelBuilder b{data, ctx};
  if (!data.has("constraints")) missing(data, "constraints", "{effective_bits: ...}", ctx);
  b.field("constraints", Value::null(),
          [&](const Value& x) { return validate_constraints(x, ctx); });
  b.field("candidate_formats", Value::list(),
          [&](const Value& x) { return qc_list(x, path + ".candidate_formats", 0, ctx, configs); });
  b.field("module_search_spaces", Value::list(), [&](const Value& x) {
    return validate_search_space_list(x, path + ".module_search_spaces", ctx, configs);
  });
  b.field("auto_quantize_method", Value::string("gradient"), [&](const Value& x) {
    return literal(x, {"gradient", "kl_div"}, ctx);
  });
  b.field("score_size", Value::integer(128), [&](const Value& x) { return lax_int(x, ctx); });
  b.field("disabled_layers", Value::list(),
          [&](const Value& x) { return string_list_value(x, 0, ctx); });
  b.field("cost_excluded_layers", Value::list(),
          [&](const Value& x) { return string_list_value(x, 0, ctx); });
  b.field("kv_cache", Value::null(),
          [&](const Value& x) { return nested_qc(x, path + ".kv_cache", true, ctx, configs); });
  reject_extra_keys(
      data,
      {"constraints", "candidate_formats", "module_search_spaces", "auto_quantize_method",
       "score_size", "disabled_layers", "cost_excluded_layers", "kv_cache"},
      "AutoQuantizeConfig", ctx);
  if (ctx.error_count() != before) return std::nullopt;
  if (is_empty_list(*b.out.find("candidate_formats")) &&
      is_empty_list(*b.out.find("module_search_spaces"))) {
    cross_rule_error(data, "at least one of candidate_formats or module_search_spaces is required",
                     ctx);
    return std::nullopt;
  }
  return b.out;
}

namespace {

// The recipe's model_dump(): metadata first, then the sections in ModelOpt's field order;
// nested QuantizeConfigs as their contract views.
Value recipe_dump(RecipeType type, const ValidatedRecipe& recipe, Value sections) {
  Value out = Value::map(sections.loc());
  out.set("metadata", metadata_dump(recipe.metadata));
  if (type == RecipeType::Ptq || type == RecipeType::AutoQuantize) {
    Value quantize = Value::null();
    for (const NamedQuantizeConfig& qc : recipe.quantize_configs) {
      if (qc.path == "quantize") quantize = quantize_config_view(qc.config);
    }
    out.set("quantize", quantize);
  }
  if (type == RecipeType::AutoQuantize) out.set("auto_quantize", recipe.auto_quantize);
  for (const MapEntry& e : sections.entries()) out.insert(e.key, e.value);
  return out;
}

}  // namespace

std::optional<ValidatedRecipe> validate_recipe(RecipeType type, const Value& data,
                                               ValidationContext& ctx) {
  if (!require_mapping(data, "a recipe", ctx)) return std::nullopt;
  size_t before = ctx.error_count();
  ValidatedRecipe recipe;
  recipe.auto_quantize = Value::null(data.loc());
  if (const Value* meta = data.find("metadata")) {
    auto scope = ctx.enter("metadata", meta->loc());
    if (auto m = validate_recipe_metadata(*meta, ctx)) recipe.metadata = *m;
  } else {
    missing(data, "metadata", "{recipe_type: ...}", ctx);
  }
  std::vector<std::string_view> fields = {"metadata"};
  const Value* quantize = data.find("quantize");
  if (type == RecipeType::Ptq || type == RecipeType::AutoQuantize) {
    fields.push_back("quantize");
    if (quantize) {
      auto scope = ctx.enter("quantize", quantize->loc());
      nested_qc(*quantize, "quantize", type == RecipeType::AutoQuantize, ctx,
                &recipe.quantize_configs);
    } else if (type == RecipeType::Ptq) {
      missing(data, "quantize", "the QuantizeConfig of the recipe", ctx);
    }
  }
  if (type == RecipeType::AutoQuantize) {
    fields.push_back("auto_quantize");
    if (const Value* aq = data.find("auto_quantize")) {
      auto scope = ctx.enter("auto_quantize", aq->loc());
      auto section =
          validate_auto_quantize_config(*aq, "auto_quantize", ctx, &recipe.quantize_configs);
      bool has_baseline = quantize && !quantize->is_null();
      if (section && check_auto_quantize_baseline(*section, has_baseline, ctx)) {
        recipe.auto_quantize = *section;
      }
    } else {
      missing(data, "auto_quantize", "the AutoQuantizeConfig section", ctx);
    }
  }
  Value dump = Value::map(data.loc());
  if (type != RecipeType::Ptq && type != RecipeType::AutoQuantize) {
    for (const SpeculativeSection& s : speculative_sections(type)) fields.push_back(s.name);
    validate_speculative_sections(type, data, dump, ctx);
  }
  reject_extra_keys(data, fields, "a " + std::string(recipe_type_value(type)) + " recipe", ctx);
  if (ctx.error_count() != before) return std::nullopt;
  if (type != RecipeType::Ptq && type != RecipeType::AutoQuantize) {
    derive_speculative_recipe(recipe_section(type), dump, ctx);
  }
  recipe.model_dump = recipe_dump(type, recipe, std::move(dump));
  return recipe;
}

namespace {

template <class Fn>
RecipeResult collect(const Value& data, Fn&& fn) {
  ValidationContext ctx(data.loc());
  RecipeResult r;
  r.auto_quantize = Value::null(data.loc());
  r.model_dump = Value::null(data.loc());
  std::vector<NamedQuantizeConfig> configs;
  fn(ctx, r, configs);
  r.errors = std::move(ctx.errors());
  r.warnings = std::move(ctx.warnings());
  if (r.errors.empty()) {
    for (NamedQuantizeConfig& c : configs) r.quantize_configs.emplace_back(c.path, c.config);
  }
  return r;
}

RecipeResult recipe_result(RecipeType type, const Value& data) {
  return collect(data, [&](ValidationContext& ctx, RecipeResult& r, auto& configs) {
    if (auto recipe = validate_recipe(type, data, ctx)) {
      r.metadata = recipe->metadata;
      r.auto_quantize = recipe->auto_quantize;
      r.model_dump = recipe->model_dump;
      configs = std::move(recipe->quantize_configs);
    }
  });
}

}  // namespace

RecipeResult validate_ptq_recipe(const Value& data) { return recipe_result(RecipeType::Ptq, data); }

RecipeResult validate_auto_quantize_recipe(const Value& data) {
  return recipe_result(RecipeType::AutoQuantize, data);
}

RecipeResult validate_speculative_recipe(const Value& data, std::string_view section) {
  RecipeType type = section == "dflash"   ? RecipeType::SpeculativeDflash
                    : section == "medusa" ? RecipeType::SpeculativeMedusa
                                          : RecipeType::SpeculativeEagle;
  return recipe_result(type, data);
}

RecipeResult validate_recipe_metadata(const Value& data) {
  return collect(data, [&](ValidationContext& ctx, RecipeResult& r, auto&) {
    r.metadata = validate_recipe_metadata(data, ctx);
  });
}

RecipeResult validate_auto_quantize_config(const Value& data) {
  return collect(data, [&](ValidationContext& ctx, RecipeResult& r, auto& configs) {
    if (auto aq = validate_auto_quantize_config(data, "$", ctx, &configs)) r.auto_quantize = *aq;
  });
}

RecipeResult validate_dmd_config(const Value& data) {
  return collect(data, [&](ValidationContext& ctx, RecipeResult& r, auto&) {
    if (!data.is_null() && !data.is_map()) {
      reject(data, ctx, "a distillation config file must hold a YAML mapping (DMDConfig)");
      return;
    }
    const Value body = data.is_null() ? Value::map(data.loc()) : data;
    if (auto dump = validate_model(dmd_config_spec(), body, ctx)) r.model_dump = *dump;
  });
}

}  // namespace qcfg
