#include "schema/attribute_config.h"

#include <fmt/format.h>

#include <cmath>
#include <functional>
#include <set>
#include <string>

#include "schema/coerce.h"

namespace qcfg {
namespace {

const char* const kOnlyEnableTrue =
    "a mapping with only {enable: true} is not allowed (ModelOpt: \"Cannot specify only "
    "{'enable': True}\"); give quantizer attributes too, or drop it and use the entry-level "
    "`enable`";

bool is_true(const Value& v) { return v.is_bool() && v.as_bool(); }
bool is_string(const Value& v, std::string_view s) { return v.is_string() && v.as_string() == s; }
bool is_negative_or_zero(const Value& v) {
  return v.is_big_int() ? v.int_text()[0] == '-' : v.as_int() <= 0;
}

// §5.1 before-validator: the first mapping (depth first) that is exactly {enable: True},
// except mappings stored under a key named `rotate`.
const Value* find_only_enable_true(const Value& v) {
  if (v.is_list()) {
    for (const Value& item : v.items()) {
      if (const Value* hit = find_only_enable_true(item)) return hit;
    }
  } else if (v.is_map()) {
    if (v.size() == 1 && v.find("enable") && is_true(*v.find("enable"))) return &v;
    for (const MapEntry& e : v.entries()) {
      if (is_string(e.key, "rotate")) continue;
      if (const Value* hit = find_only_enable_true(e.value)) return hit;
    }
  }
  return nullptr;
}

// The validated fields so far; field validators look at earlier fields (block_sizes → axis).
struct QacState {
  Value full = default_attribute_dump();
  Value set = Value::map();
  std::set<std::string> failed;
};

using FieldFn = std::function<std::optional<Value>(const Value&, ValidationContext&, QacState&)>;

std::optional<Value> reject(const Value& v, ValidationContext& ctx, const std::string& what,
                            const char* rule = kRuleSchemaType) {
  ctx.error(v.loc(), fmt::format("{}, {}", what, got(v)), rule);
  return std::nullopt;
}

std::optional<Value> bool_field(const Value& v, ValidationContext& ctx, QacState&) {
  return lax_bool(v, ctx);
}

std::optional<Value> num_bits_field(const Value& v, ValidationContext& ctx, QacState&) {
  // Smart union int | tuple[int, int] | str: an exact int or str wins before any coercion.
  if ((v.is_int() && !v.is_bool()) || v.is_string()) return v;
  if (v.is_list()) {
    if (auto t = try_int_tuple(v, 2)) return t;
  } else if (auto i = try_lax_int(v)) {
    return i;
  }
  return reject(v, ctx,
                "num_bits must be an int (e.g. 8), a pair of ints (E, M) such as [4, 3] / "
                "e4m3 in YAML, or a string (custom backends)");
}

std::optional<Value> effective_bits_check(const Value& f, ValidationContext& ctx) {
  double d = f.as_float();
  if (!(d > 0 && d <= 16)) {
    ctx.error(f.loc(),
              fmt::format("effective_bits must be in (0, 16], got {}", python_float_repr(d)),
              kRuleSchemaValue);
    return std::nullopt;
  }
  return f;
}

std::optional<Value> effective_bits_field(const Value& v, ValidationContext& ctx, QacState&) {
  if (v.is_null()) return v;
  auto f = lax_float(v, ctx);
  if (!f) return std::nullopt;
  return effective_bits_check(*f, ctx);
}

std::optional<Value> axis_field(const Value& v, ValidationContext& ctx, QacState&) {
  if (v.is_null() || (v.is_int() && !v.is_bool())) return v;
  if (v.is_list()) {
    if (auto t = try_int_tuple(v, 0)) return t;
  } else if (auto i = try_lax_int(v)) {
    return i;
  }
  return reject(v, ctx, "axis must be null, an int, or a list of ints");
}

std::optional<Value> learn_amax_field(const Value& v, ValidationContext& ctx, QacState&) {
  auto b = lax_bool(v, ctx);
  if (b && b->as_bool()) {
    ctx.error(v.loc(),
              "learn_amax is deprecated and reserved for backward compatibility; only false is "
              "accepted",
              kRuleSchemaValue);
    return std::nullopt;
  }
  return b;
}

FieldFn pattern_field(std::vector<std::string> allowed) {
  return [allowed](const Value& v, ValidationContext& ctx, QacState&) -> std::optional<Value> {
    auto s = strict_str(v, ctx);
    if (!s) return std::nullopt;
    for (const std::string& a : allowed) {
      if (s->as_string() == a) return s;
    }
    std::string list;
    for (const std::string& a : allowed) list += (list.empty() ? "'" : ", '") + a + "'";
    return reject(v, ctx, fmt::format("must be one of {} (case-sensitive)", list),
                  kRuleSchemaValue);
  };
}

// Keys of block_sizes / bias: int | str (a bool or integral float key becomes an int).
std::optional<Value> axis_key(const Value& k, ValidationContext& ctx) {
  if (k.is_string() || (k.is_int() && !k.is_bool())) return k;
  if (auto i = try_lax_int(k); i && !k.is_string()) return i;
  ctx.error(k.loc(), fmt::format("key must be an int axis or a string, {}", got(k)),
            kRuleSchemaType);
  return std::nullopt;
}

std::optional<Value> block_size_value(const Value& v) {
  if (v.is_null() || (v.is_int() && !v.is_bool()) || v.is_string()) return v;
  if (v.is_list()) return try_int_tuple(v, 2);
  if (v.is_map()) {
    Value out = Value::map(v.loc());
    for (const MapEntry& e : v.entries()) {
      auto k = try_lax_int(e.key);
      auto val = try_lax_int(e.value);
      if (!k || !val) return std::nullopt;
      out.insert(*k, *val);
    }
    return out;
  }
  return try_lax_int(v);
}

std::optional<Value> bias_value(const Value& v) {
  if (v.is_null() || v.is_bool() || v.is_int()) return v;
  if (v.is_string()) {
    const std::string& s = v.as_string();
    if (s == "static" || s == "dynamic" || s == "mean" || s == "max_min") return v;
    return std::nullopt;
  }
  if (v.is_list()) return try_int_tuple(v, 0);
  if (v.is_float()) {
    if (auto b = try_lax_bool(v)) return b;
    return try_lax_int(v);
  }
  return std::nullopt;
}

// dict[int | str, <value>]: coerces keys and values; reports every failing item.
std::optional<Value> axis_dict(const Value& v, ValidationContext& ctx,
                               std::optional<Value> (*value_fn)(const Value&),
                               const char* accepted) {
  if (!v.is_map()) return reject(v, ctx, "must be a mapping or null");
  Value out = Value::map(v.loc());
  bool ok = true;
  for (const MapEntry& e : v.entries()) {
    auto scope = ctx.enter(e.key.str(), e.value.loc());
    auto key = axis_key(e.key, ctx);
    auto val = value_fn(e.value);
    if (!val) {
      ctx.error(e.value.loc(), fmt::format("value must be {}, {}", accepted, got(e.value)),
                kRuleSchemaType);
    }
    if (key && val) out.insert(*key, *val);
    ok = ok && key && val;
  }
  if (!ok) return std::nullopt;
  return out;
}

bool is_block_special_key(const Value& k) {
  return is_string(k, "type") || is_string(k, "scale_bits") || is_string(k, "scale_block_sizes") ||
         is_string(k, "four_over_six");
}

std::optional<Value> block_sizes_field(const Value& v, ValidationContext& ctx, QacState& st) {
  if (v.is_null()) return v;
  auto bs = axis_dict(v, ctx, block_size_value,
                      "an int, a pair of ints, a string, an int-to-int mapping, or null");
  if (!bs) return std::nullopt;
  // The field validator asserts; the first failing assertion is the only error.
  if (!st.failed.count("axis") && !st.full.find("axis")->is_null()) {
    return reject(v, ctx, "axis must be null when block_sizes is set (they cannot coexist)",
                  kRuleSchemaValue);
  }
  const Value* type = bs->find("type");
  if (type && is_string(*type, "dynamic")) {
    size_t axes = 0;
    for (const MapEntry& e : bs->entries()) axes += is_block_special_key(e.key) ? 0 : 1;
    if (axes != 1) {
      return reject(v, ctx,
                    fmt::format("dynamic block quantization supports exactly one block axis "
                                "(normally -1), found {}",
                                axes),
                    kRuleSchemaValue);
    }
  }
  for (const MapEntry& e : bs->entries()) {
    auto scope = ctx.enter(e.key.str(), e.value.loc());
    if (e.key.is_string() && !is_block_special_key(e.key)) {
      ctx.error(e.key.loc(),
                fmt::format("block_sizes key {} is not allowed: axis keys must be integers "
                            "(write -1: unquoted in YAML; JSON cannot express them), string "
                            "keys must be one of type, scale_bits, scale_block_sizes, "
                            "four_over_six",
                            e.key.repr()),
                kRuleSchemaValue);
      return std::nullopt;
    }
    if (!e.key.is_string() && !(e.value.is_null() || e.value.is_int())) {
      return reject(e.value, ctx, "the block size of an axis must be an int or null",
                    kRuleSchemaValue);
    }
  }
  return bs;
}

std::optional<Value> bias_field(const Value& v, ValidationContext& ctx, QacState&) {
  if (v.is_null()) return v;
  auto bias = axis_dict(v, ctx, bias_value,
                        "'static', 'dynamic', 'mean', 'max_min', a list of ints, a bool, an "
                        "int, or null");
  if (!bias) return std::nullopt;
  if (const Value* t = bias->find("type");
      t && !is_string(*t, "static") && !is_string(*t, "dynamic")) {
    return reject(*t, ctx, "bias type must be 'static' or 'dynamic'", kRuleSchemaValue);
  }
  if (const Value* m = bias->find("method");
      m && !is_string(*m, "mean") && !is_string(*m, "max_min")) {
    return reject(*m, ctx, "bias method must be 'mean' or 'max_min'", kRuleSchemaValue);
  }
  size_t axes = 0;
  for (const MapEntry& e : bias->entries()) {
    if (is_string(e.key, "type") || is_string(e.key, "method")) continue;
    ++axes;
    if (!e.key.is_int()) {
      ctx.error(e.key.loc(),
                fmt::format("bias key {} is not allowed: axis keys must be integers (ModelOpt: "
                            "\"Invalid axis type\"); other keys are type and method",
                            e.key.repr()),
                kRuleSchemaValue);
      return std::nullopt;
    }
  }
  if (axes == 0) {
    return reject(v, ctx, "the axis for bias computation is not specified (add an int key)",
                  kRuleSchemaValue);
  }
  return bias;
}

std::optional<Value> calibrator_field(const Value& v, ValidationContext& ctx, QacState&) {
  if (v.is_string()) {
    if (v.as_string() == "max" || v.as_string() == "histogram") return v;
    return reject(v, ctx, "calibrator must be 'max' or 'histogram' (or a constructor list)",
                  kRuleSchemaValue);
  }
  if (v.is_list()) {
    Value t = v;
    t.set_tuple(true);
    return t;
  }
  return reject(v, ctx,
                "calibrator must be 'max', 'histogram', or a constructor list [class, args]");
}

std::optional<Value> rotate_field(const Value& v, ValidationContext& ctx, QacState& st) {
  if (v.is_bool()) return v;
  if (v.is_map()) {
    Value set;
    auto full = validate_rotate_config(v, ctx, &set);
    if (full) st.set.set("rotate", set);
    return full;
  }
  if (auto b = try_lax_bool(v)) return b;
  return reject(v, ctx, "rotate must be a bool or a RotateConfig mapping");
}

std::optional<Value> optional_str_field(const Value& v, ValidationContext& ctx, QacState&) {
  if (v.is_null()) return v;
  return strict_str(v, ctx);
}

std::optional<Value> optional_dict_field(const Value& v, ValidationContext& ctx, QacState&) {
  if (v.is_null() || v.is_map()) return v;
  return reject(v, ctx, "must be a mapping or null");
}

std::optional<Value> constant_amax_field(const Value& v, ValidationContext& ctx, QacState&) {
  if (v.is_null()) return v;
  auto f = lax_float(v, ctx);
  if (f && !(f->as_float() > 0)) {
    return reject(v, ctx, "constant_amax must be a positive value", kRuleSchemaValue);
  }
  return f;
}

struct FieldSpec {
  std::string_view name;
  FieldFn validate;
};

const std::vector<FieldSpec>& field_specs() {
  static const std::vector<FieldSpec> specs = {
      {"enable", bool_field},
      {"num_bits", num_bits_field},
      {"effective_bits", effective_bits_field},
      {"axis", axis_field},
      {"fake_quant", bool_field},
      {"unsigned", bool_field},
      {"narrow_range", bool_field},
      {"learn_amax", learn_amax_field},
      {"type", pattern_field({"static", "dynamic"})},
      {"block_sizes", block_sizes_field},
      {"bias", bias_field},
      {"trt_high_precision_dtype", pattern_field({"Float", "Half", "BFloat16"})},
      {"calibrator", calibrator_field},
      {"rotate", rotate_field},
      {"pass_through_bwd", bool_field},
      {"backend", optional_str_field},
      {"backend_extra_args", optional_dict_field},
      {"use_constant_amax", bool_field},
      {"constant_amax", constant_amax_field},
  };
  return specs;
}

bool is_fp_format(int64_t e, int64_t m) {
  static const std::pair<int64_t, int64_t> kFormats[] = {{4, 3}, {5, 2}, {2, 1}, {1, 2},
                                                         {0, 3}, {3, 0}, {3, 2}, {2, 3}};
  for (auto [fe, fm] : kFormats) {
    if (fe == e && fm == m) return true;
  }
  return false;
}

// After-validator validate_num_bits (skipped with a custom backend).
bool check_num_bits(const QacState& st, ValidationContext& ctx) {
  if (!st.full.find("backend")->is_null()) return true;
  const Value& nb = *st.full.find("num_bits");
  auto scope = ctx.enter("num_bits", nb.loc());
  if (nb.is_int() && is_negative_or_zero(nb)) {
    ctx.error(nb.loc(), fmt::format("num_bits must be a positive integer, got {}", nb.repr()),
              kRuleSchemaValue);
    return false;
  }
  if (!nb.is_tuple()) return true;
  for (const Value& x : nb.items()) {
    if (is_negative_or_zero(x)) {
      ctx.error(nb.loc(),
                fmt::format("num_bits (E, M) must have positive items, got {}", nb.repr()),
                kRuleSchemaValue);
      return false;
    }
  }
  int64_t e = nb.items()[0].as_int(), m = nb.items()[1].as_int();
  if (!is_fp_format(e, m)) {
    ctx.error(nb.loc(),
              fmt::format("unsupported FPx format {}; supported: FP8 (E4M3, E5M2), FP6 (E3M2, "
                          "E2M3), FP4 (E2M1)",
                          nb.repr()),
              kRuleSchemaValue);
    return false;
  }
  const Value& bs = *st.full.find("block_sizes");
  const Value* type = bs.is_map() ? bs.find("type") : nullptr;
  bool dynamic_blocks = type && is_string(*type, "dynamic");
  if (!((e == 4 && m == 3) || (e == 2 && m == 1)) && !dynamic_blocks) {
    ctx.error(nb.loc(),
              fmt::format("format E{}M{} is only supported with dynamic block quantization "
                          "(block_sizes with type: dynamic)",
                          e, m),
              kRuleSchemaValue);
    return false;
  }
  return true;
}

bool check_constant_amax_modes(const QacState& st, ValidationContext& ctx) {
  if (st.full.find("use_constant_amax")->as_bool() && !st.full.find("constant_amax")->is_null()) {
    const Value& c = *st.full.find("constant_amax");
    auto scope = ctx.enter("constant_amax", c.loc());
    ctx.error(c.loc(), "use_constant_amax and constant_amax are mutually exclusive; set only one",
              kRuleSchemaValue);
    return false;
  }
  return true;
}

}  // namespace

const std::vector<std::string_view>& attribute_field_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const FieldSpec& f : field_specs()) out.push_back(f.name);
    return out;
  }();
  return names;
}

Value default_attribute_dump() {
  Value d = Value::map();
  d.set("enable", Value::boolean(true));
  d.set("num_bits", Value::integer(8));
  d.set("effective_bits", Value::null());
  d.set("axis", Value::null());
  d.set("fake_quant", Value::boolean(true));
  d.set("unsigned", Value::boolean(false));
  d.set("narrow_range", Value::boolean(false));
  d.set("learn_amax", Value::boolean(false));
  d.set("type", Value::string("static"));
  d.set("block_sizes", Value::null());
  d.set("bias", Value::null());
  d.set("trt_high_precision_dtype", Value::string("Float"));
  d.set("calibrator", Value::string("max"));
  d.set("rotate", Value::boolean(false));
  d.set("pass_through_bwd", Value::boolean(true));
  d.set("backend", Value::null());
  d.set("backend_extra_args", Value::null());
  d.set("use_constant_amax", Value::boolean(false));
  d.set("constant_amax", Value::null());
  return d;
}

Value default_rotate_dump() {
  Value d = Value::map();
  d.set("enable", Value::boolean(false));
  d.set("mode", Value::string("rotate"));
  d.set("rotate_fp32", Value::boolean(false));
  d.set("block_size", Value::null());
  return d;
}

std::optional<Value> validate_rotate_config(const Value& raw, ValidationContext& ctx, Value* set) {
  if (!raw.is_map()) {
    reject(raw, ctx, "RotateConfig must be a mapping");
    return std::nullopt;
  }
  static const std::vector<std::string_view> names = {"enable", "mode", "rotate_fp32",
                                                      "block_size"};
  Value full = default_rotate_dump();
  Value written = Value::map(raw.loc());
  size_t errors_before = ctx.error_count();
  for (std::string_view name : names) {
    const Value* v = raw.find(name);
    if (!v) continue;
    auto scope = ctx.enter(std::string(name), v->loc());
    std::optional<Value> out;
    if (name == "mode") {
      out = (is_string(*v, "rotate") || is_string(*v, "rotate_back"))
                ? std::optional<Value>(*v)
                : reject(*v, ctx, "mode must be 'rotate' or 'rotate_back'", kRuleSchemaValue);
    } else if (name == "block_size") {
      // Checked before coercion: 16.0 and true are rejected.
      bool ok = v->is_null() || (v->is_int() && !is_negative_or_zero(*v));
      out = ok ? std::optional<Value>(*v)
               : reject(*v, ctx, "block_size must be a positive int or null", kRuleSchemaValue);
    } else {
      out = lax_bool(*v, ctx);
    }
    if (out) {
      full.set(name, *out);
      written.set(name, *out);
    }
  }
  reject_extra_keys(raw, names, "RotateConfig", ctx);
  if (ctx.error_count() != errors_before) return std::nullopt;
  if (set) *set = written;
  return full;
}

std::optional<AttributeConfig> validate_attribute_config(const Value& raw, ValidationContext& ctx) {
  if (const Value* hit = find_only_enable_true(raw)) {
    ctx.error(hit->loc(), kOnlyEnableTrue, kRuleSchemaValue);
    return std::nullopt;
  }
  if (!raw.is_map()) {
    reject(raw, ctx, "a quantizer attribute config must be a mapping");
    return std::nullopt;
  }
  QacState st;
  size_t errors_before = ctx.error_count();
  for (const FieldSpec& spec : field_specs()) {
    const Value* v = raw.find(spec.name);
    if (!v) continue;
    auto scope = ctx.enter(std::string(spec.name), v->loc());
    std::optional<Value> out = spec.validate(*v, ctx, st);
    if (!out) {
      st.failed.insert(std::string(spec.name));
      continue;
    }
    st.full.set(spec.name, *out);
    if (!st.set.has(spec.name)) st.set.set(spec.name, *out);
  }
  reject_extra_keys(raw, attribute_field_names(), "QuantizerAttributeConfig", ctx);
  if (ctx.error_count() != errors_before) return std::nullopt;
  if (!check_num_bits(st, ctx) || !check_constant_amax_modes(st, ctx)) return std::nullopt;
  // Keep the set dump in declaration order (rotate was inserted early by its field function).
  Value ordered = Value::map(raw.loc());
  for (std::string_view name : attribute_field_names()) {
    if (const Value* v = st.set.find(name)) ordered.set(name, *v);
  }
  st.full.set_loc(raw.loc());
  return AttributeConfig{st.full, ordered};
}

AttributeConfigResult validate_attribute_config(const Value& raw, std::string_view loc_name) {
  ValidationContext ctx(raw.loc());
  std::optional<ValidationContext::Scope> scope;
  if (!loc_name.empty()) scope.emplace(&ctx, std::string(loc_name), raw.loc());
  AttributeConfigResult result;
  result.config = validate_attribute_config(raw, ctx);
  scope.reset();
  result.errors = std::move(ctx.errors());
  return result;
}

}  // namespace qcfg
