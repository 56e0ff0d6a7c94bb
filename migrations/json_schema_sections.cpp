#include "migrations/json_schema_sections.h"

#include "schema/distillation_schema.h"
#include "schema/speculative_schema.h"

namespace qcfg::migrations {
namespace {

Value str(std::string_view s) { return Value::string(std::string(s)); }

Value typed(std::string_view t) {
  Value v = Value::map();
  v.set("type", str(t));
  return v;
}

Value ref_to(const std::string& name) {
  Value v = Value::map();
  v.set("$ref", str("#/definitions/" + name));
  return v;
}

void set_bound(Value& schema, const std::optional<FieldBound>& b, const char* inclusive,
               const char* exclusive) {
  if (b) schema.set(b->exclusive ? exclusive : inclusive, Value::real(b->value));
}

// The value's schema without null.
Value value_schema(const FieldSpec& f) {
  switch (f.type) {
    case FieldType::Bool:
      return typed("boolean");
    case FieldType::Int:
      return typed("integer");
    case FieldType::Float: {
      Value v = typed("number");
      set_bound(v, f.minimum, "minimum", "exclusiveMinimum");
      set_bound(v, f.maximum, "maximum", "exclusiveMaximum");
      return v;
    }
    case FieldType::Str:
      return typed("string");
    case FieldType::Dict:
      return typed("object");
    case FieldType::List:
      return typed("array");
    case FieldType::FloatList: {
      Value v = typed("array");
      v.set("items", typed("number"));
      return v;
    }
    case FieldType::Literal: {
      Value v = Value::map();
      Value values = Value::list();
      for (const char* o : f.options) values.push_back(str(o));
      v.set("enum", values);
      return v;
    }
    case FieldType::Model:
      return ref_to(definition_name(*f.model));
  }
  return Value::map();
}

Value field_schema(const FieldSpec& f) {
  Value schema = value_schema(f);
  if (f.nullable) {
    Value options = Value::list();
    options.push_back(schema);
    options.push_back(typed("null"));
    schema = Value::map();
    schema.set("anyOf", options);
  }
  if (f.type != FieldType::Model || f.nullable) schema.set("default", field_default(f));
  return schema;
}

void collect(const ModelSpec& spec, std::vector<std::pair<std::string, Value>>& out) {
  for (const auto& [name, def] : out) {
    if (name == definition_name(spec)) return;
  }
  out.emplace_back(definition_name(spec), model_definition(spec));
  for (const FieldSpec& f : spec.fields) {
    if (f.type == FieldType::Model) collect(*f.model, out);
  }
}

struct SpeculativeRecipe {
  const char* definition;
  const char* recipe_type;
  const char* section;
  const ModelSpec& (*spec)();
  const char* title;
};

constexpr SpeculativeRecipe kSpeculativeRecipes[] = {
    {"eagle_recipe", "speculative_eagle", "eagle", eagle_config_spec, "ModelOptEagleRecipe"},
    {"dflash_recipe", "speculative_dflash", "dflash", dflash_config_spec, "ModelOptDFlashRecipe"},
    {"medusa_recipe", "speculative_medusa", "medusa", medusa_config_spec, "ModelOptMedusaRecipe"},
};

Value speculative_recipe(const SpeculativeRecipe& r, const Value& imports_ref) {
  Value metadata = Value::map();
  Value meta_props = Value::map();
  Value type_enum = Value::map();
  Value types = Value::list();
  types.push_back(str(r.recipe_type));
  type_enum.set("enum", types);
  meta_props.set("recipe_type", type_enum);
  meta_props.set("description", typed("string"));
  metadata.set("type", str("object"));
  metadata.set("properties", meta_props);
  Value required = Value::list();
  required.push_back(str("recipe_type"));
  metadata.set("required", required);
  metadata.set("additionalProperties", Value::boolean(false));

  Value props = Value::map();
  props.set("imports", imports_ref);
  props.set("metadata", metadata);
  props.set("model", ref_to(definition_name(model_arguments_spec())));
  props.set("data", ref_to(definition_name(data_arguments_spec())));
  props.set("training", ref_to(definition_name(training_arguments_spec())));
  props.set(r.section, ref_to(definition_name(r.spec())));
  Value out = typed("object");
  out.set("description", str(r.title));
  out.set("properties", props);
  Value req = Value::list();
  req.push_back(str("metadata"));
  req.push_back(str(r.section));
  out.set("required", req);
  out.set("additionalProperties", Value::boolean(false));
  return out;
}

}  // namespace

// The pydantic class name: the definitions of the field tables are named after ModelOpt's
// classes ("DFlashConfig"), those of quant_cfg after their role ("quantize_config").
std::string definition_name(const ModelSpec& spec) { return spec.name; }

Value model_definition(const ModelSpec& spec) {
  Value props = Value::map();
  for (const FieldSpec& f : spec.fields) props.set(f.name, field_schema(f));
  Value out = typed("object");
  out.set("description", str(spec.name));
  out.set("properties", props);
  out.set("additionalProperties", Value::boolean(spec.extra_allowed));
  return out;
}

std::vector<std::pair<std::string, Value>> section_definitions(const Value& imports_ref) {
  std::vector<std::pair<std::string, Value>> out;
  for (const ModelSpec* s :
       {&model_arguments_spec(), &data_arguments_spec(), &training_arguments_spec(),
        &eagle_config_spec(), &dflash_config_spec(), &medusa_config_spec(), &dmd_config_spec()}) {
    collect(*s, out);
  }
  for (const SpeculativeRecipe& r : kSpeculativeRecipes) {
    out.emplace_back(r.definition, speculative_recipe(r, imports_ref));
  }
  return out;
}

}  // namespace qcfg::migrations
