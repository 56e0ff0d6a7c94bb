#include "schema/model_spec.h"

#include <fmt/format.h>

#include <cstdlib>

#include "schema/coerce.h"

namespace qcfg {
namespace {

std::string bound_text(const FieldBound& b, bool lower) {
  const char* op = lower ? (b.exclusive ? ">" : ">=") : (b.exclusive ? "<" : "<=");
  return fmt::format("{} {}", op, python_float_repr(b.value));
}

std::optional<Value> any_mapping(const Value& v, ValidationContext& ctx) {
  if (v.is_map()) return v;
  return reject(v, ctx, "Input should be a valid dictionary");
}

std::optional<Value> any_list(const Value& v, ValidationContext& ctx) {
  if (v.is_list() && !v.is_tuple()) return v;
  return reject(v, ctx, "Input should be a valid list");
}

std::optional<Value> float_list(const Value& v, ValidationContext& ctx) {
  if (!any_list(v, ctx)) return std::nullopt;
  Value out = Value::list(v.loc());
  bool ok = true;
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto scope = ctx.enter(fmt::format("[{}]", i), v.items()[i].loc());
    auto f = lax_float(v.items()[i], ctx);
    if (f) out.push_back(*f);
    ok = ok && f.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<Value> field_value(const FieldSpec& f, const Value& v, ValidationContext& ctx) {
  if (f.nullable && v.is_null()) return v;
  switch (f.type) {
    case FieldType::Bool:
      return lax_bool(v, ctx);
    case FieldType::Int:
      return lax_int(v, ctx);
    case FieldType::Float:
      if (f.minimum || f.maximum) return bounded_float(v, f.minimum, f.maximum, ctx);
      return lax_float(v, ctx);
    case FieldType::Str:
      return strict_str(v, ctx);
    case FieldType::Dict:
      return any_mapping(v, ctx);
    case FieldType::List:
      return any_list(v, ctx);
    case FieldType::FloatList:
      return float_list(v, ctx);
    case FieldType::Literal:
      return literal(v, f.options, ctx);
    case FieldType::Model:
      return validate_model(*f.model, v, ctx);
  }
  return std::nullopt;
}

std::vector<std::string_view> field_names(const ModelSpec& spec) {
  std::vector<std::string_view> names;
  for (const FieldSpec& f : spec.fields) names.emplace_back(f.name);
  return names;
}

}  // namespace

FieldSpec bool_field(const char* name, bool default_value) {
  return FieldSpec{name, FieldType::Bool, Value::boolean(default_value)};
}

FieldSpec int_field(const char* name, int64_t default_value) {
  return FieldSpec{name, FieldType::Int, Value::integer(default_value)};
}

FieldSpec float_field(const char* name, double default_value, std::optional<FieldBound> minimum,
                      std::optional<FieldBound> maximum) {
  FieldSpec f{name, FieldType::Float, Value::real(default_value)};
  f.minimum = minimum;
  f.maximum = maximum;
  return f;
}

FieldSpec str_field(const char* name, const char* default_value) {
  FieldSpec f{name, FieldType::Str, default_value ? Value::string(default_value) : Value::null()};
  f.nullable = default_value == nullptr;
  return f;
}

FieldSpec dict_field(const char* name, Value default_value) {
  return FieldSpec{name, FieldType::Dict, std::move(default_value)};
}

FieldSpec literal_field(const char* name, std::vector<const char*> options,
                        const char* default_value) {
  FieldSpec f{name, FieldType::Literal,
              default_value ? Value::string(default_value) : Value::null()};
  f.options = std::move(options);
  f.nullable = default_value == nullptr;
  return f;
}

FieldSpec model_field(const char* name, const ModelSpec& model) {
  FieldSpec f{name, FieldType::Model, Value::null()};
  f.model = &model;
  return f;
}

FieldSpec nullable(FieldSpec f, Value default_value) {
  f.nullable = true;
  f.default_value = std::move(default_value);
  return f;
}

FieldSpec nullable(FieldSpec f) { return nullable(std::move(f), Value::null()); }

std::optional<Value> reject(const Value& v, ValidationContext& ctx, const std::string& what,
                            const char* rule) {
  ctx.error(v.loc(), fmt::format("{}, {}", what, got(v)), rule);
  return std::nullopt;
}

bool require_mapping(const Value& v, std::string_view model, ValidationContext& ctx) {
  if (v.is_map()) return true;
  reject(v, ctx, fmt::format("{} must be a mapping", model));
  return false;
}

void missing(const Value& parent, std::string_view field, std::string_view what,
             ValidationContext& ctx) {
  auto scope = ctx.enter(std::string(field), parent.loc());
  ctx.error(parent.loc(), fmt::format("field required: {}", what), kRuleSchemaMissing);
}

std::optional<Value> literal(const Value& v, const std::vector<const char*>& allowed,
                             ValidationContext& ctx) {
  for (const char* a : allowed) {
    if (v.is_string() && v.as_string() == a) return v;
  }
  std::string list;
  for (const char* a : allowed) list += fmt::format("{}'{}'", list.empty() ? "" : ", ", a);
  return reject(v, ctx, fmt::format("must be one of {}", list), kRuleSchemaValue);
}

std::optional<Value> bounded_float(const Value& v, std::optional<FieldBound> lo,
                                   std::optional<FieldBound> hi, ValidationContext& ctx) {
  auto f = lax_float(v, ctx);
  if (!f) return std::nullopt;
  const double d = f->as_float();
  // Written so that NaN fails every bound.
  const bool above = !lo || (lo->exclusive ? d > lo->value : d >= lo->value);
  const bool below = !hi || (hi->exclusive ? d < hi->value : d <= hi->value);
  if (above && below) return f;
  std::string range;
  if (lo) range = bound_text(*lo, true);
  if (hi) range += (range.empty() ? "" : " and ") + bound_text(*hi, false);
  return reject(v, ctx, "must be " + range, kRuleSchemaValue);
}

double number_value(const Value& v) {
  if (v.is_bool()) return v.as_bool() ? 1.0 : 0.0;
  if (v.is_int()) return std::strtod(v.int_text().c_str(), nullptr);
  return v.as_float();
}

Value field_default(const FieldSpec& f) {
  const bool nested_default =
      f.type == FieldType::Model && f.default_value.is_null() && !f.nullable;
  return nested_default ? model_defaults(*f.model) : f.default_value;
}

Value model_defaults(const ModelSpec& spec) {
  Value out = Value::map();
  for (const FieldSpec& f : spec.fields) out.set(f.name, field_default(f));
  return out;
}

std::optional<Value> validate_model(const ModelSpec& spec, const Value& data,
                                    ValidationContext& ctx) {
  if (!data.is_map()) {
    return reject(data, ctx, fmt::format("Input should be a mapping ({})", spec.name));
  }
  const size_t before = ctx.error_count();
  ModelBuilder b{data, ctx};
  for (const FieldSpec& f : spec.fields) {
    const Value* given = data.find(f.name);
    if (!given) {
      b.out.set(f.name, field_default(f));
      continue;
    }
    b.field(f.name, Value::null(), [&](const Value& v) -> std::optional<Value> {
      std::optional<Value> r = field_value(f, v, ctx);
      if (r && f.check && !(r->is_null() && f.nullable) && !f.check(*r, ctx)) return std::nullopt;
      return r;
    });
  }
  if (spec.extra_allowed) {
    for (const MapEntry& e : data.entries()) {
      const bool known = e.key.is_string() && b.out.has(e.key.as_string());
      if (!known) b.out.insert(e.key, e.value);
    }
  } else {
    reject_extra_keys(data, field_names(spec), spec.name, ctx);
  }
  if (ctx.error_count() != before) return std::nullopt;
  if (spec.after && !spec.after(b.out, data, ctx)) return std::nullopt;
  return b.out;
}

}  // namespace qcfg
