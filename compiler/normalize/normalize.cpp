#include "compiler/normalize/normalize.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <utility>

namespace qcfg {
namespace {

constexpr std::string_view kDeprecationText =
    "Passing quant_cfg in the legacy dict format is deprecated and will be removed in a future "
    "release. Use the list-of-dicts format with explicit 'quantizer_name' keys instead.";

constexpr std::string_view kQuantizerPathHint =
    "`quantizer_path` is not a recognized spelling; rename it to `quantizer_name`";

bool starts_with_nn(const Value& key) {
  return key.is_string() && key.as_string().rfind("nn.", 0) == 0;
}

SourceLocation best(const SourceLocation& loc, const SourceLocation& fallback) {
  return loc.known() ? loc : fallback;
}

// Raised inside one item's conversion; becomes the normalization error.
struct ItemFailure {
  SourceLocation loc;
  std::string message;
  std::string rule;
  std::vector<std::string> notes;
};

class Normalizer {
 public:
  Normalizer(std::string loc_name, SourceLocation fallback)
      : loc_name_(std::move(loc_name)), fallback_(fallback) {}

  NormalizeResult run(const Value& quant_cfg) {
    if (quant_cfg.is_map()) {
      warn_legacy(quant_cfg.loc());
      for (size_t i = 0; i < quant_cfg.entries().size(); ++i) {
        const MapEntry& pair = quant_cfg.entries()[i];
        Value item = Value::map(pair.key.loc());
        item.insert(pair.key, pair.value);
        if (!process_item(item, i)) break;
      }
    } else if (quant_cfg.is_list()) {
      for (size_t i = 0; i < quant_cfg.items().size(); ++i) {
        if (!process_item(quant_cfg.items()[i], i)) break;
      }
    } else {
      fail({quant_cfg.loc(),
            fmt::format("{}: must be a list of entries (or a legacy flat mapping of quantizer "
                        "name to config), got {}: {}",
                        loc_name_, quant_cfg.python_type(), quant_cfg.repr()),
            kRuleQuantCfgType});
    }
    return std::move(result_);
  }

 private:
  void warn_legacy(SourceLocation loc) {
    if (warned_) return;
    warned_ = true;
    result_.warnings.push_back(
        {Severity::Warning,
         best(loc, fallback_),
         fmt::format("{}: DeprecationWarning: {}", loc_name_, kDeprecationText),
         kRuleLegacyFormat,
         {}});
  }

  void fail(ItemFailure f) {
    result_.errors.push_back({Severity::Error, best(f.loc, fallback_), std::move(f.message),
                              std::move(f.rule), std::move(f.notes)});
  }

  // Classifies one list item (§4.1) and appends its entries; false when it failed.
  bool process_item(const Value& item, size_t index) {
    std::vector<RawEntry> produced;
    std::optional<ItemFailure> failure = convert_item(item, index, &produced);
    if (failure) {
      fail(std::move(*failure));
      return false;
    }
    for (RawEntry& e : produced) result_.entries.push_back(std::move(e));
    return true;
  }

  std::optional<ItemFailure> convert_item(const Value& item, size_t index,
                                          std::vector<RawEntry>* out) {
    if (item.is_map() && item.has("quantizer_name")) {
      out->push_back(new_format_entry(item, index));
      return std::nullopt;
    }
    if (item.is_map() && item.size() == 1) {
      const MapEntry& pair = item.entries()[0];
      warn_legacy(item.loc());
      return legacy_pair(pair, index, out);
    }
    if (item.is_map() && item.size() > 1) {
      // ModelOpt tests `k.startswith("nn.")` key by key: a non-string key reached first raises.
      for (const MapEntry& pair : item.entries()) {
        if (!pair.key.is_string()) {
          return ItemFailure{best(pair.key.loc(), item.loc()),
                             fmt::format("{}: invalid quant_cfg entry {}: key {} is not a string "
                                         "(ModelOpt raises AttributeError)",
                                         loc_name_, item.repr(), pair.key.repr()),
                             kRuleInvalidEntry,
                             {}};
        }
        if (starts_with_nn(pair.key)) {
          warn_legacy(item.loc());
          for (const MapEntry& p : item.entries()) {
            if (auto f = legacy_pair(p, index, out)) return f;
          }
          return std::nullopt;
        }
      }
    }
    return invalid_entry(item);
  }

  ItemFailure invalid_entry(const Value& item) {
    ItemFailure f{item.loc(),
                  fmt::format("{}: invalid quant_cfg entry: {}; an entry must be a mapping with "
                              "'quantizer_name' (and 'cfg' and/or 'enable'), a legacy one-key "
                              "mapping {{name: cfg}}, or a mapping of 'nn.*' class keys",
                              loc_name_, item.repr()),
                  kRuleInvalidEntry,
                  {}};
    if (item.is_map() && item.has("quantizer_path")) {
      f.rule = kRuleQuantizerPath;
      f.message += fmt::format(" ({})", kQuantizerPathHint);
      f.loc = best(item.find_entry("quantizer_path")->key.loc(), item.loc());
    }
    return f;
  }

  RawEntry new_format_entry(const Value& item, size_t index) {
    RawEntry e;
    e.fields = item;
    e.loc = item.loc();
    e.item_index = index;
    for (const MapEntry& pair : item.entries()) {
      if (!pair.key.is_string()) continue;
      const std::string& k = pair.key.as_string();
      if (k == "quantizer_name" || k == "parent_class" || k == "cfg" || k == "enable") {
        e.fields_set.push_back(k);
      }
    }
    std::sort(e.fields_set.begin(), e.fields_set.end());
    return e;
  }

  RawEntry legacy_entry(const Value& name, SourceLocation loc, size_t index) {
    RawEntry e;
    e.fields = Value::map(loc);
    e.loc = loc;
    e.from_legacy = true;
    e.item_index = index;
    if (name.is_string() && name.as_string() == "quantizer_path") {
      e.notes.push_back(std::string(kQuantizerPathHint) +
                        " (a one-key {quantizer_path: ...} item is read as a legacy entry for a "
                        "quantizer literally named 'quantizer_path')");
    }
    return e;
  }

  // §4.2: one legacy `key: value` pair.
  std::optional<ItemFailure> legacy_pair(const MapEntry& pair, size_t index,
                                         std::vector<RawEntry>* out) {
    Value key = pair.key;
    if (key.is_string() && key.as_string() == "default") key = Value::string("*", key.loc());
    SourceLocation key_loc = best(key.loc(), pair.value.loc());
    if (starts_with_nn(key)) return nn_scoped(key, pair.value, key_loc, index, out);

    RawEntry e = legacy_entry(key, key_loc, index);
    Value cfg = pair.value;
    std::optional<Value> enable;
    if (pair.value.is_map()) {
      cfg = Value::map(pair.value.loc());
      for (const MapEntry& kv : pair.value.entries()) {
        bool is_enable = kv.key.is_string() && kv.key.as_string() == "enable";
        if (is_enable) {
          if (!kv.value.is_null()) enable = kv.value;
        } else {
          cfg.insert(kv.key, kv.value);
        }
      }
      if (cfg.size() == 0) cfg = Value::null(pair.value.loc());
    }
    fill_legacy(&e, std::nullopt, key, cfg, enable);
    out->push_back(std::move(e));
    return std::nullopt;
  }

  std::optional<ItemFailure> nn_scoped(const Value& key, const Value& value, SourceLocation loc,
                                       size_t index, std::vector<RawEntry>* out) {
    if (!value.is_map()) {
      return ItemFailure{best(value.loc(), loc),
                         fmt::format("{}: for the 'nn.*' scoped format ({}), the value must be a "
                                     "mapping of quantizer names to configs, got {}",
                                     loc_name_, key.repr(), value.repr()),
                         kRuleNnScopedValue,
                         {}};
    }
    for (const MapEntry& sub : value.entries()) {
      Value converted;
      if (auto f = python_dict(sub.value, key, sub.key, best(sub.value.loc(), loc), &converted)) {
        return f;
      }
      std::optional<Value> enable;
      if (const Value* en = converted.find("enable")) {
        if (!en->is_null()) enable = *en;
        converted.erase("enable");
      }
      Value cfg = converted.size() == 0 ? Value::null(converted.loc()) : converted;
      RawEntry e = legacy_entry(sub.key, best(sub.key.loc(), loc), index);
      fill_legacy(&e, key, sub.key, cfg, enable);
      out->push_back(std::move(e));
    }
    return std::nullopt;
  }

  // Python's `dict(value)`, which ModelOpt applies to every nn.* sub-config (§4.2 step 2).
  std::optional<ItemFailure> python_dict(const Value& value, const Value& cls, const Value& name,
                                         SourceLocation loc, Value* out) {
    auto failure = [&](const std::string& why) {
      return ItemFailure{loc,
                         fmt::format("{}: the config of {} under {} is not a mapping and "
                                     "Python's dict() cannot convert it: {}",
                                     loc_name_, name.repr(), cls.repr(), why),
                         kRuleNnScopedValue,
                         {"ModelOpt passes nn.* sub-configs through dict(); write a mapping of "
                          "quantizer attributes"}};
    };
    *out = Value::map(value.loc());
    if (value.is_map()) {
      *out = value;
      return std::nullopt;
    }
    if (value.is_string()) {
      if (value.as_string().empty()) return std::nullopt;
      return failure("dictionary update sequence element #0 has length 1; 2 is required");
    }
    if (!value.is_list()) {
      return failure(fmt::format("TypeError: '{}' object is not iterable", value.python_type()));
    }
    for (size_t i = 0; i < value.items().size(); ++i) {
      const Value& element = value.items()[i];
      std::vector<Value> pair;
      if (element.is_map()) {
        for (const MapEntry& kv : element.entries()) pair.push_back(kv.key);
      } else if (element.is_list()) {
        pair = element.items();
      } else if (element.is_string()) {
        for (char c : element.as_string()) pair.push_back(Value::string(std::string(1, c)));
      } else {
        return failure(fmt::format(
            "TypeError: cannot convert dictionary update sequence element #{} to a sequence", i));
      }
      if (pair.size() != 2) {
        return failure(fmt::format(
            "dictionary update sequence element #{} has length {}; 2 is required", i, pair.size()));
      }
      if (pair[0].is_list() || pair[0].is_map()) {
        return failure(fmt::format("TypeError: unhashable type: '{}'", pair[0].python_type()));
      }
      out->insert(pair[0], pair[1]);
    }
    return std::nullopt;
  }

  static void fill_legacy(RawEntry* e, const std::optional<Value>& parent, const Value& name,
                          const Value& cfg, const std::optional<Value>& enable) {
    if (parent) {
      e->fields.set("parent_class", *parent);
      e->fields_set.push_back("parent_class");
    }
    e->fields.set("quantizer_name", name);
    e->fields.set("cfg", cfg);
    e->fields_set.push_back("cfg");
    e->fields_set.push_back("quantizer_name");
    if (enable) {
      e->fields.set("enable", *enable);
      e->fields_set.push_back("enable");
    }
    std::sort(e->fields_set.begin(), e->fields_set.end());
  }

  std::string loc_name_;
  SourceLocation fallback_;
  NormalizeResult result_;
  bool warned_ = false;
};

}  // namespace

NormalizeResult normalize_quant_cfg(const Value& quant_cfg, const std::string& loc_name,
                                    SourceLocation fallback) {
  return Normalizer(loc_name, best(quant_cfg.loc(), fallback)).run(quant_cfg);
}

}  // namespace qcfg
