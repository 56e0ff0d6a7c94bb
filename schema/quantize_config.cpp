#include "schema/quantize_config.h"

#include <fmt/format.h>

#include <functional>
#include <string>

#include "compiler/normalize/normalize.h"
#include "schema/coerce.h"
#include "schema/quantizer_entry.h"

namespace qcfg {
namespace {

Value default_quant_cfg() {
  Value cfg = Value::map();
  cfg.set("num_bits", Value::integer(8));
  cfg.set("axis", Value::null());
  Value entry = Value::map();
  entry.set("quantizer_name", Value::string("*"));
  entry.set("cfg", cfg);
  Value list = Value::list();
  list.push_back(entry);
  return list;
}

// Normalizes, then builds entries in order; the first failing entry (or the structural error
// after the last good one) is the only error, as in ModelOpt.
bool validate_quant_cfg_field(const Value& raw, ValidationContext& ctx,
                              std::vector<QuantizerEntry>* out) {
  auto scope = ctx.enter("quant_cfg", raw.loc());
  NormalizeResult norm = normalize_quant_cfg(raw, ctx.loc_text(), ctx.locate(raw.loc()));
  for (Diagnostic& w : norm.warnings) ctx.warnings().push_back(std::move(w));
  for (const RawEntry& raw_entry : norm.entries) {
    auto entry = validate_entry(raw_entry, ctx);
    if (!entry) return false;
    out->push_back(std::move(*entry));
  }
  if (!norm.ok()) {
    ctx.add_errors(std::move(norm.errors));
    return false;
  }
  return true;
}

bool is_algorithm_item(const Value& v) { return v.is_null() || v.is_string() || v.is_map(); }

bool validate_algorithm(const Value& v, ValidationContext& ctx) {
  auto scope = ctx.enter("algorithm", v.loc());
  if (is_algorithm_item(v)) return true;
  if (v.is_list()) {
    bool ok = true;
    for (size_t i = 0; i < v.items().size(); ++i) {
      const Value& item = v.items()[i];
      if (is_algorithm_item(item)) continue;
      auto item_scope = ctx.enter(fmt::format("[{}]", i), item.loc());
      ctx.error(item.loc(),
                fmt::format("each algorithm in the list must be a method name, a mapping "
                            "with `method`, or null, {}",
                            got(item)),
                kRuleSchemaType);
      ok = false;
    }
    return ok;
  }
  ctx.error(v.loc(),
            fmt::format("algorithm must be a method name (e.g. \"max\"), a mapping with "
                        "`method`, null, or a list of those, {}",
                        got(v)),
            kRuleSchemaType);
  return false;
}

std::optional<Value> validate_effective_bits(const Value& v, ValidationContext& ctx) {
  auto scope = ctx.enter("effective_bits", v.loc());
  if (v.is_null()) return v;
  auto f = lax_float(v, ctx);
  if (!f) return std::nullopt;
  double d = f->as_float();
  if (!(d > 0 && d <= 16)) {
    ctx.error(v.loc(),
              fmt::format("effective_bits must be in (0, 16], got {}", python_float_repr(d)),
              kRuleSchemaValue);
    return std::nullopt;
  }
  return f;
}

QuantizeConfigResult run(
    std::string_view loc_name, SourceLocation loc,
    const std::function<std::optional<QuantizeConfig>(ValidationContext&)>& fn) {
  ValidationContext ctx(loc);
  QuantizeConfigResult result;
  {
    std::optional<ValidationContext::Scope> scope;
    if (!loc_name.empty()) scope.emplace(&ctx, std::string(loc_name), loc);
    result.config = fn(ctx);
  }
  result.errors = std::move(ctx.errors());
  result.warnings = std::move(ctx.warnings());
  if (!result.errors.empty()) result.config.reset();
  return result;
}

}  // namespace

std::optional<QuantizeConfig> validate_quantize_config(const Value& data, ValidationContext& ctx) {
  if (!data.is_map()) {
    ctx.error(data.loc(),
              fmt::format("a QuantizeConfig must be a mapping with quant_cfg, algorithm and/or "
                          "effective_bits, {}",
                          got(data)),
              kRuleSchemaType);
    return std::nullopt;
  }
  size_t errors_before = ctx.error_count();
  QuantizeConfig qc;
  qc.loc = data.loc();
  const Value* quant_cfg = data.find("quant_cfg");
  validate_quant_cfg_field(quant_cfg ? *quant_cfg : default_quant_cfg(), ctx, &qc.quant_cfg);
  qc.algorithm = Value::string("max", data.loc());
  if (const Value* algorithm = data.find("algorithm")) {
    qc.algorithm_is_default = false;
    if (validate_algorithm(*algorithm, ctx)) qc.algorithm = *algorithm;
  }
  qc.effective_bits = Value::null(data.loc());
  if (const Value* bits = data.find("effective_bits")) {
    if (auto f = validate_effective_bits(*bits, ctx)) qc.effective_bits = *f;
  }
  for (const MapEntry& e : data.entries()) {
    if (e.key.is_string() &&
        (e.key.as_string() == "quant_cfg" || e.key.as_string() == "algorithm" ||
         e.key.as_string() == "effective_bits")) {
      continue;
    }
    auto scope = ctx.enter(e.key.str(), e.key.loc());
    ctx.error(e.key.loc(),
              fmt::format("unknown key {} (extra keys are not permitted in QuantizeConfig); "
                          "accepted: quant_cfg, algorithm, effective_bits",
                          e.key.repr()),
              kRuleSchemaExtraKey);
  }
  if (ctx.error_count() != errors_before) return std::nullopt;
  qc.need_calibration = need_calibration(qc);
  return qc;
}

QuantizeConfigResult validate_quantize_config(const Value& data, std::string_view loc_name) {
  return run(loc_name, data.loc(),
             [&](ValidationContext& ctx) { return validate_quantize_config(data, ctx); });
}

QuantizeConfigResult validate_quant_cfg(const Value& quant_cfg, std::string_view loc_name) {
  Value data = Value::map(quant_cfg.loc());
  data.set("quant_cfg", quant_cfg);
  return validate_quantize_config(data, loc_name);
}

bool need_calibration(const QuantizeConfig& config) {
  const Value& algorithm = config.algorithm;
  if (!algorithm.is_null() && !(algorithm.is_string() && algorithm.as_string() == "max")) {
    return true;
  }
  auto not_dynamic = [](bool enable, const Value* type) {
    return enable && !(type && type->is_string() && type->as_string() == "dynamic");
  };
  for (const QuantizerEntry& entry : config.quant_cfg) {
    if (entry.quantizer_name.find("weight_quantizer") != std::string::npos) continue;
    if (entry.cfg_kind == CfgKind::Sequential) {
      for (const Value& item : entry.cfg_full.items()) {
        if (not_dynamic(item.find("enable")->as_bool(), item.find("type"))) return true;
      }
      continue;
    }
    const Value* type = entry.cfg_kind == CfgKind::Single ? entry.cfg_full.find("type") : nullptr;
    if (not_dynamic(entry.enable, type)) return true;
  }
  return false;
}

Value quantize_config_view(const QuantizeConfig& config) {
  Value view = Value::map(config.loc);
  view.set("algorithm", config.algorithm);
  view.set("need_calibration", Value::boolean(config.need_calibration));
  Value entries = Value::list();
  for (const QuantizerEntry& e : config.quant_cfg) {
    Value item = Value::map(e.loc);
    item.set("quantizer_name", Value::string(e.quantizer_name, e.name_loc));
    item.set("parent_class", e.parent_class ? Value::string(*e.parent_class) : Value::null());
    item.set("enable", Value::boolean(e.enable, e.enable_loc));
    item.set("cfg", e.cfg_full);
    entries.push_back(item);
  }
  view.set("quant_cfg", entries);
  return view;
}

Value entry_set_view(const QuantizerEntry& entry) {
  Value view = Value::map(entry.loc);
  for (const std::string& field : entry.fields_set) {
    if (field == "quantizer_name") {
      view.set(field, Value::string(entry.quantizer_name, entry.name_loc));
    } else if (field == "parent_class") {
      view.set(field, entry.parent_class ? Value::string(*entry.parent_class) : Value::null());
    } else if (field == "enable") {
      view.set(field, Value::boolean(entry.enable, entry.enable_loc));
    } else if (field == "cfg") {
      view.set(field, entry.cfg_set);
    }
  }
  return view;
}

}  // namespace qcfg
