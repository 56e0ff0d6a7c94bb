// Pydantic models described as field tables: one table per ModelOpt class (the speculative-
// decoding sections, the fastgen distillation config) drives both the validator here and the
// JSON Schema (migrations/json_schema_sections.cpp), so names, types, defaults and bounds have
// one home. Validation follows pydantic 2's lax mode for Python input (schema/coerce.h): every
// field is checked and reports its own errors; the model's after-validator runs only when all
// fields are valid; the result is the model's `model_dump()` (fields in declaration order, then
// extra keys where the model allows them).
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/value.h"
#include "schema/validation_context.h"

namespace qcfg {

enum class FieldType {
  Bool,       // bool
  Int,        // int
  Float,      // float
  Str,        // str (numbers are not converted)
  Dict,       // dict (any content)
  List,       // list (any items)
  FloatList,  // list[float]
  Literal,    // Literal["a", "b"]
  Model,      // a nested ModelSpec
};

// A numeric bound of a Field(ge=/gt=/le=/lt=).
struct FieldBound {
  double value;
  bool exclusive;
};

struct ModelSpec;

struct FieldSpec {
  const char* name;
  FieldType type;
  Value default_value;    // for a Model field with no explicit default: the nested model's defaults
  bool nullable = false;  // `X | None`
  std::vector<const char*> options = {};  // Literal values
  std::optional<FieldBound> minimum = {};
  std::optional<FieldBound> maximum = {};
  const ModelSpec* model = nullptr;  // FieldType::Model
  // A field_validator: runs on the coerced value; records an error and returns false to reject.
  std::function<bool(const Value&, ValidationContext&)> check = {};
  const char* description = "";
};

struct ModelSpec {
  const char* name;  // the pydantic class
  std::vector<FieldSpec> fields;
  bool extra_allowed = false;  // ConfigDict(extra="allow"): unknown keys kept as given
  // model_validator(mode="after"): `dump` holds every field; may rewrite it (derived fields).
  // Records an error at the model and returns false to reject.
  std::function<bool(Value& dump, const Value& data, ValidationContext&)> after = {};
};

// Field builders for the tables.
FieldSpec bool_field(const char* name, bool default_value);
FieldSpec int_field(const char* name, int64_t default_value);
FieldSpec float_field(const char* name, double default_value,
                      std::optional<FieldBound> minimum = {},
                      std::optional<FieldBound> maximum = {});
FieldSpec str_field(const char* name, const char* default_value);  // nullptr: None
FieldSpec dict_field(const char* name, Value default_value = Value::map());
FieldSpec literal_field(const char* name, std::vector<const char*> options,
                        const char* default_value);  // nullptr: None
FieldSpec model_field(const char* name, const ModelSpec& model);
// `X | None` (the default stays as given; a null default for a builder that takes none).
FieldSpec nullable(FieldSpec f, Value default_value);
FieldSpec nullable(FieldSpec f);
inline FieldBound at_least(double v) { return {v, false}; }
inline FieldBound above(double v) { return {v, true}; }
inline FieldBound at_most(double v) { return {v, false}; }

// `Model.model_validate(data)`: the dump, or nullopt after recording errors in `ctx` (whose
// current scope is the model's field path).
std::optional<Value> validate_model(const ModelSpec& spec, const Value& data,
                                    ValidationContext& ctx);
// The dump of `Model()`: every default; and one field's default.
Value model_defaults(const ModelSpec& spec);
Value field_default(const FieldSpec& field);

// ---- shared field checks of every schema validator -------------------------------------------

std::optional<Value> reject(const Value& v, ValidationContext& ctx, const std::string& what,
                            const char* rule = kRuleSchemaType);
bool require_mapping(const Value& v, std::string_view model, ValidationContext& ctx);
// "field required" at `field` of `parent`.
void missing(const Value& parent, std::string_view field, std::string_view what,
             ValidationContext& ctx);
std::optional<Value> literal(const Value& v, const std::vector<const char*>& allowed,
                             ValidationContext& ctx);
// A lax float inside a range; NaN is outside every range, as in pydantic.
std::optional<Value> bounded_float(const Value& v, std::optional<FieldBound> lo,
                                   std::optional<FieldBound> hi, ValidationContext& ctx);
// A number's value as a double (ints exactly up to 2^53), for comparisons in validators.
double number_value(const Value& v);

// Fills `out` field by field: validators of present keys, defaults of absent ones.
struct ModelBuilder {
  const Value& data;
  ValidationContext& ctx;
  Value out = Value::map(data.loc());
  bool ok = true;

  template <class Fn>
  void field(std::string_view name, Value default_value, Fn&& fn) {
    const Value* v = data.find(name);
    if (!v) {
      out.set(name, std::move(default_value));
      return;
    }
    auto scope = ctx.enter(std::string(name), v->loc());
    std::optional<Value> r = fn(*v);
    if (r) out.set(name, *r);
    ok = ok && r.has_value();
  }
};

}  // namespace qcfg
