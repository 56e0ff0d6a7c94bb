#include "resolver/inventory.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "checkpoint/bounded_file.h"
#include "resolver/attributes.h"
#include "resolver/checkpoint_inventory.h"
#include "resolver/inventory_fast.h"

namespace qcfg::resolver {
namespace {

using Json = nlohmann::ordered_json;

bool is_int_text(const std::string& s) {
  size_t i = (!s.empty() && s[0] == '-') ? 1 : 0;
  if (i >= s.size()) return false;
  return std::all_of(s.begin() + static_cast<std::ptrdiff_t>(i), s.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

// JSON cannot carry integer mapping keys; `block_sizes`/`bias` axes written as "-1" are read back
// as the integers ModelOpt would hold.
Value json_to_value(const Json& j, bool int_keys = false) {
  switch (j.type()) {
    case Json::value_t::null:
      return Value::null();
    case Json::value_t::boolean:
      return Value::boolean(j.get<bool>());
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return Value::integer(j.get<int64_t>());
    case Json::value_t::number_float:
      return Value::real(j.get<double>());
    case Json::value_t::string:
      return Value::string(j.get<std::string>());
    case Json::value_t::array: {
      Value list = Value::list();
      for (const Json& item : j) list.push_back(json_to_value(item));
      return list;
    }
    case Json::value_t::object: {
      Value map = Value::map();
      for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string& k = it.key();
        Value key = (int_keys && is_int_text(k)) ? Value::integer(std::stoll(k)) : Value::string(k);
        map.insert(std::move(key), json_to_value(it.value(), k == "block_sizes" || k == "bias"));
      }
      return map;
    }
    default:
      return Value::null();
  }
}

// A quantizer record of an inventory file: the file and the record ("quantizers[3]").
struct Record {
  const std::string& origin;
  std::string label;
  [[noreturn]] void fail(const std::string& message) const {
    throw InventoryError(origin, label + ": " + message);
  }
};

std::optional<std::string> optional_string(const Json& obj, const char* key, const Record& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) where.fail(std::string("`") + key + "` must be a string or null");
  return it->get<std::string>();
}

std::optional<bool> optional_bool(const Json& obj, const char* key, const Record& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) where.fail(std::string("`") + key + "` must be a boolean");
  return it->get<bool>();
}

InventoryQuantizer parse_quantizer(const Json& j, const Record& where) {
  InventoryQuantizer q;
  if (j.is_string()) {  // a bare name: a quantizer without a registered parent
    q.name = j.get<std::string>();
    return q;
  }
  if (!j.is_object()) where.fail("a quantizer must be an object or a name");
  auto name = optional_string(j, "name", where);
  if (!name || name->empty()) where.fail("quantizer without a `name`");
  q.name = *name;
  q.parent_class = optional_string(j, "parent_class", where);
  if (auto it = j.find("initial"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) where.fail("`initial` must be a mapping");
    q.initial = json_to_value(*it, false);
  }
  q.initial_enabled = optional_bool(j, "initial_enabled", where);
  q.hard_disabled = optional_bool(j, "hard_disabled", where);
  if (auto it = j.find("tensors"); it != j.end() && it->is_array()) {
    for (const Json& t : *it) {
      TensorInfo info;
      info.name = t.value("name", "");
      info.dtype = t.value("dtype", "");
      info.shape = t.value("shape", std::vector<int64_t>{});
      info.nbytes = t.value("nbytes", uint64_t{0});
      info.file = t.value("file", "");
      info.expert_slice = t.value("expert_slice", int64_t{-1});
      info.fused_part = t.value("fused_part", -1);
      q.tensors.push_back(std::move(info));
    }
  }
  return q;
}

void parse_modules(const Json& j, Inventory& inv) {
  for (const Json& m : j) {
    if (!m.is_object()) continue;
    InventoryModule mod;
    mod.name = m.value("name", "");
    if (auto it = m.find("class"); it != m.end() && it->is_string()) mod.class_key = *it;
    inv.modules.push_back(std::move(mod));
  }
}

}  // namespace

Inventory inventory_from_json_text(const std::string& text, const std::string& origin) {
  if (std::optional<Inventory> fast = inventory_from_json_fast(text, origin))
    return *std::move(fast);
  return inventory_from_json_reference(text, origin);
}

Inventory inventory_from_json_reference(const std::string& text, const std::string& origin) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw InventoryError(checkpoint::text_location(origin, text, e.byte > 0 ? e.byte - 1 : 0),
                         std::string("invalid JSON: ") + e.what());
  } catch (const std::exception& e) {
    throw InventoryError(origin, std::string("invalid JSON: ") + e.what());
  }
  Inventory inv;
  inv.origin = origin;
  const Json* list = &j;
  if (j.is_object()) {
    auto it = j.find("quantizers");
    if (it == j.end() || !it->is_array())
      throw InventoryError(origin, "an inventory object needs a `quantizers` list");
    list = &*it;
    if (auto m = j.find("modules"); m != j.end() && m->is_array()) parse_modules(*m, inv);
    if (auto r = j.find("registry_keys"); r != j.end() && r->is_array()) {
      for (const Json& k : *r)
        if (k.is_string()) inv.registry_keys.push_back(k.get<std::string>());
    }
    if (auto d = j.find("description"); d != j.end() && d->is_string()) inv.description = *d;
  } else if (!j.is_array()) {
    throw InventoryError(origin, "an inventory is a list of quantizers or an object");
  }
  inv.quantizers.reserve(list->size());
  for (size_t i = 0; i < list->size(); ++i) {
    inv.quantizers.push_back(
        parse_quantizer((*list)[i], Record{origin, "quantizers[" + std::to_string(i) + "]"}));
  }
  return inv;
}

namespace {

// A path that is not there is said to be missing, not to be "not a regular file": the usual
// cause is a typo in --model or --inventory.
void require_existing(const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (st.type() == std::filesystem::file_type::not_found)
    throw InventoryError(path, "does not exist");
  if (ec) throw InventoryError(path, "cannot read: " + ec.message());
}

}  // namespace

Inventory load_inventory_file(const std::string& path) {
  // Bounded: /dev/zero (or a FIFO) named as an inventory would otherwise be read forever.
  require_existing(path);
  return inventory_from_json_text(
      checkpoint::read_bounded_file(
          path, kMaxInventoryBytes,
          "inventories are far smaller: check that this is the right file"),
      path);
}

Inventory load_inventory(const std::string& path, ExpertLayout layout) {
  require_existing(path);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return inventory_from_checkpoint(path, layout);
  if (path.size() > 12 && path.substr(path.size() - 12) == ".safetensors")
    return inventory_from_checkpoint(path, layout);
  return load_inventory_file(path);
}

Value inventory_to_value(const Inventory& inv) {
  Value root = Value::map();
  if (!inv.description.empty()) root.set("description", Value::string(inv.description));
  Value list = Value::list();
  for (const InventoryQuantizer& q : inv.quantizers) {
    Value item = Value::map();
    item.set("name", Value::string(q.name));
    item.set("parent_class", q.parent_class ? Value::string(*q.parent_class) : Value::null());
    if (q.initial) item.set("initial", *q.initial);
    if (q.initial_enabled) item.set("initial_enabled", Value::boolean(*q.initial_enabled));
    if (q.hard_disabled) item.set("hard_disabled", Value::boolean(*q.hard_disabled));
    if (!q.tensors.empty()) {
      Value tensors = Value::list();
      for (const TensorInfo& t : q.tensors) {
        Value tv = Value::map();
        tv.set("name", Value::string(t.name));
        tv.set("dtype", Value::string(t.dtype));
        Value shape = Value::list();
        for (int64_t d : t.shape) shape.push_back(Value::integer(d));
        tv.set("shape", std::move(shape));
        tv.set("nbytes", Value::integer(static_cast<int64_t>(t.nbytes)));
        tv.set("file", Value::string(t.file));
        if (t.expert_slice >= 0) tv.set("expert_slice", Value::integer(t.expert_slice));
        if (t.fused_part >= 0) tv.set("fused_part", Value::integer(t.fused_part));
        tensors.push_back(std::move(tv));
      }
      item.set("tensors", std::move(tensors));
    }
    list.push_back(std::move(item));
  }
  root.set("quantizers", std::move(list));
  if (!inv.modules.empty()) {
    Value mods = Value::list();
    for (const InventoryModule& m : inv.modules) {
      Value mv = Value::map();
      mv.set("name", Value::string(m.name));
      mv.set("class", Value::string(m.class_key));
      mods.push_back(std::move(mv));
    }
    root.set("modules", std::move(mods));
  }
  if (!inv.registry_keys.empty()) {
    Value keys = Value::list();
    for (const std::string& k : inv.registry_keys) keys.push_back(Value::string(k));
    root.set("registry_keys", std::move(keys));
  }
  return root;
}

const std::vector<std::string>& builtin_registry_keys() {
  static const std::vector<std::string> keys = {"nn.Linear",
                                                "nn.Conv1d",
                                                "nn.Conv2d",
                                                "nn.Conv3d",
                                                "nn.ConvTranspose1d",
                                                "nn.ConvTranspose2d",
                                                "nn.ConvTranspose3d",
                                                "nn.Embedding",
                                                "nn.LayerNorm",
                                                "nn.LeakyReLU",
                                                "nn.BatchNorm1d",
                                                "nn.BatchNorm2d",
                                                "nn.BatchNorm3d",
                                                "nn.InstanceNorm1d",
                                                "nn.InstanceNorm2d",
                                                "nn.InstanceNorm3d",
                                                "nn.MaxPool1d",
                                                "nn.MaxPool2d",
                                                "nn.MaxPool3d",
                                                "nn.AvgPool1d",
                                                "nn.AvgPool2d",
                                                "nn.AvgPool3d",
                                                "nn.AdaptiveAvgPool1d",
                                                "nn.AdaptiveAvgPool2d",
                                                "nn.AdaptiveAvgPool3d",
                                                "nn.RNN",
                                                "nn.LSTM",
                                                "nn.GRU"};
  return keys;
}

namespace {

// Registry keys whose `weight_quantizer` starts per-channel (`axis: 0`) in QuantModule._setup.
bool weight_starts_per_channel(const std::optional<std::string>& parent) {
  static const std::vector<std::string> keys = {
      "nn.Linear",          "nn.Conv1d",          "nn.Conv2d",         "nn.Conv3d",
      "nn.ConvTranspose1d", "nn.ConvTranspose2d", "nn.ConvTranspose3d"};
  return parent && std::find(keys.begin(), keys.end(), *parent) != keys.end();
}

std::string_view leaf_of(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot == std::string_view::npos ? name : name.substr(dot + 1);
}

}  // namespace

InitialFlags initial_flags(const InventoryQuantizer& q, InitialMode mode) {
  InitialFlags f;
  if (mode == InitialMode::ModelOpt) {
    const std::string_view leaf = leaf_of(q.name);
    f.weight_axis0 = leaf == "weight_quantizer" && weight_starts_per_channel(q.parent_class);
    if (leaf == "output_quantizer") f.enabled = false;
    if (leaf == "input_quantizer" && q.parent_class == "nn.Embedding") f.hard_disabled = true;
  }
  if (q.initial_enabled) f.enabled = *q.initial_enabled;
  if (q.hard_disabled) f.hard_disabled = *q.hard_disabled;
  if (f.hard_disabled) f.enabled = false;
  return f;
}

InitialState initial_state(const InventoryQuantizer& q, InitialMode mode) {
  const InitialFlags f = initial_flags(q, mode);
  InitialState s;
  s.attributes = default_attributes();
  if (f.weight_axis0) s.attributes.set("axis", Value::integer(0));
  if (q.initial) s.attributes = attributes_with(*q.initial);
  s.enabled = f.enabled;
  s.hard_disabled = f.hard_disabled;
  return s;
}

}  // namespace qcfg::resolver
