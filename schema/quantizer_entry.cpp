#include "schema/quantizer_entry.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "schema/attribute_config.h"
#include "schema/coerce.h"

namespace qcfg {
namespace {

constexpr std::string_view kEntryFields[] = {"quantizer_name", "parent_class", "cfg", "enable"};

bool is_empty_cfg(const Value& cfg) {
  if (cfg.is_map()) return cfg.size() == 0;
  if (!cfg.is_list()) return false;
  return std::all_of(cfg.items().begin(), cfg.items().end(),
                     [](const Value& item) { return item.is_map() && item.size() == 0; });
}

bool has_non_string_key(const Value& mapping, ValidationContext& ctx) {
  for (const MapEntry& e : mapping.entries()) {
    if (e.key.is_string()) continue;
    ctx.error(e.key.loc(),
              fmt::format("entry key {} is not a string (ModelOpt: TypeError \"keywords must be "
                          "strings\"); entry keys are quantizer_name, parent_class, cfg, enable",
                          e.key.repr()),
              kRuleInvalidEntry);
    return true;
  }
  return false;
}

// Rule A, on the raw input. Returns false after an error; sets *drop_cfg for the
// "empty cfg with enable: false" form that becomes enable-only.
bool check_empty_cfg(const Value& fields, ValidationContext& ctx, bool* drop_cfg) {
  *drop_cfg = false;
  const Value* cfg = fields.find("cfg");
  if (!cfg || !is_empty_cfg(*cfg)) return true;
  const Value* enable = fields.find("enable");
  if (enable && enable->is_bool() && !enable->as_bool()) {
    *drop_cfg = true;
    return true;
  }
  auto scope = ctx.enter("cfg", cfg->loc());
  ctx.error(cfg->loc(),
            fmt::format("cfg {} must specify at least one quantizer attribute; to disable "
                        "quantizers write `enable: false` (the boolean) without cfg, to keep "
                        "their attributes and only enable them drop cfg and write `enable: true`",
                        cfg->repr()),
            kRuleEntryEmptyCfg);
  return false;
}

// The typed reading of cfg_full and cfg_set, one per attribute mapping.
void type_attributes(QuantizerEntry& e) {
  auto read = [](const Value& v, std::vector<QuantizerAttributes>& out) {
    if (!v.is_list()) return out.push_back(read_quantizer_attributes(v));
    for (const Value& m : v.items()) out.push_back(read_quantizer_attributes(m));
  };
  read(e.cfg_full, e.attributes);
  read(e.cfg_set, e.attributes_set);
}

void validate_cfg(const Value& cfg, ValidationContext& ctx, QuantizerEntry* out, bool* ok) {
  auto scope = ctx.enter("cfg", cfg.loc());
  out->cfg_loc = cfg.loc();
  if (cfg.is_null()) return;
  if (cfg.is_map()) {
    auto attrs = validate_attribute_config(cfg, ctx);
    if (!attrs) {
      *ok = false;
      return;
    }
    out->cfg_kind = CfgKind::Single;
    out->cfg_full = attrs->full;
    out->cfg_set = attrs->set;
    type_attributes(*out);
    return;
  }
  if (!cfg.is_list()) {
    ctx.error(cfg.loc(),
              fmt::format("cfg must be a mapping of quantizer attributes, a list of such "
                          "mappings (sequential quantizer), or null, {}",
                          got(cfg)),
              kRuleSchemaType);
    *ok = false;
    return;
  }
  Value full = Value::list(cfg.loc()), set = Value::list(cfg.loc());
  for (size_t i = 0; i < cfg.items().size(); ++i) {
    auto item_scope = ctx.enter(fmt::format("[{}]", i), cfg.items()[i].loc());
    auto attrs = validate_attribute_config(cfg.items()[i], ctx);
    if (!attrs) {
      *ok = false;
      continue;
    }
    full.push_back(attrs->full);
    set.push_back(attrs->set);
  }
  out->cfg_kind = CfgKind::Sequential;
  out->cfg_full = full;
  out->cfg_set = set;
  type_attributes(*out);
}

void reject_extra_entry_keys(const Value& fields, ValidationContext& ctx,
                             const std::vector<std::string>& notes) {
  for (const MapEntry& e : fields.entries()) {
    bool known = std::any_of(std::begin(kEntryFields), std::end(kEntryFields),
                             [&](std::string_view f) { return e.key.as_string() == f; });
    if (known) continue;
    auto scope = ctx.enter(e.key.str(), e.key.loc());
    std::string hint = e.key.as_string() == "quantizer_path"
                           ? " (`quantizer_path` is not an alias: rename it to `quantizer_name`)"
                           : "";
    ctx.error(e.key.loc(),
              fmt::format("unknown entry key {}{} (extra keys are not permitted); accepted: "
                          "quantizer_name, parent_class, cfg, enable",
                          e.key.repr(), hint),
              e.key.as_string() == "quantizer_path" ? kRuleQuantizerPath : kRuleSchemaExtraKey,
              notes);
  }
}

std::optional<QuantizerEntry> validate_fields(const Value& fields, SourceLocation loc,
                                              ValidationContext& ctx) {
  QuantizerEntry out;
  out.loc = loc;
  out.cfg_full = Value::null(loc);
  out.cfg_set = Value::null(loc);
  size_t errors_before = ctx.error_count();
  if (has_non_string_key(fields, ctx)) return std::nullopt;
  bool drop_cfg = false;
  if (!check_empty_cfg(fields, ctx, &drop_cfg)) return std::nullopt;

  bool ok = true;
  if (const Value* name = fields.find("quantizer_name")) {
    auto scope = ctx.enter("quantizer_name", name->loc());
    out.name_loc = name->loc();
    if (auto s = strict_str(*name, ctx)) out.quantizer_name = s->as_string();
  } else {
    auto scope = ctx.enter("quantizer_name", loc);
    ctx.error(loc, "field required: the quantizer name pattern (e.g. \"*weight_quantizer\")",
              kRuleSchemaMissing);
  }
  if (const Value* parent = fields.find("parent_class"); parent && !parent->is_null()) {
    auto scope = ctx.enter("parent_class", parent->loc());
    if (auto s = strict_str(*parent, ctx)) out.parent_class = s->as_string();
  }
  const Value* cfg = fields.find("cfg");
  if (cfg && !drop_cfg) validate_cfg(*cfg, ctx, &out, &ok);
  if (cfg && drop_cfg) out.cfg_loc = cfg->loc();
  if (const Value* enable = fields.find("enable")) {
    auto scope = ctx.enter("enable", enable->loc());
    out.enable_loc = enable->loc();
    if (auto b = lax_bool(*enable, ctx)) out.enable = b->as_bool();
  }
  reject_extra_entry_keys(fields, ctx, {});
  if (ctx.error_count() != errors_before) return std::nullopt;

  if (!cfg && !fields.find("enable")) {
    ctx.error(loc,
              fmt::format("entry with only quantizer_name={} has no effect; it must specify "
                          "'cfg', 'enable', or both",
                          fields.find("quantizer_name")->repr()),
              kRuleEntryNoEffect);
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::optional<QuantizerEntry> validate_entry(const RawEntry& raw, ValidationContext& ctx) {
  size_t errors_before = ctx.error_count();
  std::optional<QuantizerEntry> entry = validate_fields(raw.fields, raw.loc, ctx);
  if (!entry) {
    for (size_t i = errors_before; i < ctx.errors().size(); ++i) {
      auto& notes = ctx.errors()[i].notes;
      notes.insert(notes.end(), raw.notes.begin(), raw.notes.end());
    }
    return std::nullopt;
  }
  entry->fields_set = raw.fields_set;
  entry->from_legacy = raw.from_legacy;
  return entry;
}

std::optional<QuantizerEntry> validate_entry_mapping(const Value& mapping, ValidationContext& ctx) {
  if (!mapping.is_map()) {
    ctx.error(mapping.loc(),
              fmt::format("a quant_cfg entry must be a mapping with quantizer_name and cfg "
                          "and/or enable, {}",
                          got(mapping)),
              kRuleSchemaType);
    return std::nullopt;
  }
  RawEntry raw;
  raw.fields = mapping;
  raw.loc = mapping.loc();
  for (std::string_view f : kEntryFields) {
    if (mapping.has(f)) raw.fields_set.emplace_back(f);
  }
  std::sort(raw.fields_set.begin(), raw.fields_set.end());
  return validate_entry(raw, ctx);
}

}  // namespace qcfg
