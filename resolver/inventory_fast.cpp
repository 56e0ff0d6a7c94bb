#include "resolver/inventory_fast.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace qcfg::resolver {
namespace {

namespace dom = simdjson::dom;

// Thrown where the fast reader cannot be sure to read what the reference reader reads.
struct GiveUp {};

template <typename T>
T must(simdjson::simdjson_result<T> r) {
  T v;
  if (std::move(r).get(v) != simdjson::SUCCESS) throw GiveUp{};
  return v;
}

std::string_view string_of(dom::element e) { return must(e.get_string()); }

int64_t int64_of(dom::element e) {
  if (e.type() != dom::element_type::INT64) throw GiveUp{};  // UINT64 wraps in nlohmann's get
  return must(e.get_int64());
}

// A key the reference reads as an integer ("-1"); std::nullopt for other text.
std::optional<int64_t> int_key(std::string_view k) {
  const size_t digits = (!k.empty() && k[0] == '-') ? 1 : 0;
  if (digits >= k.size()) return std::nullopt;
  for (size_t i = digits; i < k.size(); ++i)
    if (k[i] < '0' || k[i] > '9') return std::nullopt;
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(k.data(), k.data() + k.size(), v);
  if (ec != std::errc() || end != k.data() + k.size()) throw GiveUp{};  // stoll would throw
  return v;
}

Value value_of(dom::element e, bool int_keys = false);

Value map_of(dom::object obj, bool int_keys) {
  Value map = Value::map();
  for (dom::key_value_pair kv : obj) {
    const bool nested_int_keys = kv.key == "block_sizes" || kv.key == "bias";
    const std::optional<int64_t> as_int = int_keys ? int_key(kv.key) : std::nullopt;
    Value key = as_int ? Value::integer(*as_int) : Value::string(std::string(kv.key));
    // "1" and "01" are one key once read as integers; the reference merges equal texts first.
    if (as_int && map.size() > 0) {
      for (const MapEntry& m : map.entries())
        if (m.key.is_int() && m.key.as_int() == *as_int) throw GiveUp{};
    }
    map.insert(std::move(key), value_of(kv.value, nested_int_keys));
  }
  return map;
}

Value value_of(dom::element e, bool int_keys) {
  switch (e.type()) {
    case dom::element_type::NULL_VALUE:
      return Value::null();
    case dom::element_type::BOOL:
      return Value::boolean(must(e.get_bool()));
    case dom::element_type::INT64:
      return Value::integer(must(e.get_int64()));
    case dom::element_type::DOUBLE: {
      const double d = must(e.get_double());
      if (d == 0 && std::signbit(d)) throw GiveUp{};  // "-0": integer or real, by parser
      return Value::real(d);
    }
    case dom::element_type::STRING:
      return Value::string(std::string(string_of(e)));
    case dom::element_type::ARRAY: {
      Value list = Value::list();
      for (dom::element item : must(e.get_array())) list.push_back(value_of(item));
      return list;
    }
    case dom::element_type::OBJECT:
      return map_of(must(e.get_object()), int_keys);
    default:  // UINT64 above INT64_MAX
      throw GiveUp{};
  }
}

// Each key of one object at most once: the reference keeps the last of repeated keys.
class SeenKeys {
 public:
  void add(unsigned bit) {
    if (seen_ & (1u << bit)) throw GiveUp{};
    seen_ |= 1u << bit;
  }

 private:
  unsigned seen_ = 0;
};

std::optional<std::string> optional_string(dom::element e) {
  if (e.is_null()) return std::nullopt;
  if (e.type() != dom::element_type::STRING) throw GiveUp{};
  return std::string(string_of(e));
}

std::optional<bool> optional_bool(dom::element e) {
  if (e.is_null()) return std::nullopt;
  if (e.type() != dom::element_type::BOOL) throw GiveUp{};
  return must(e.get_bool());
}

TensorInfo tensor_of(dom::element e) {
  TensorInfo t;
  SeenKeys seen;
  for (dom::key_value_pair kv : must(e.get_object())) {
    if (kv.key == "name") {
      seen.add(0);
      t.name = string_of(kv.value);
    } else if (kv.key == "dtype") {
      seen.add(1);
      t.dtype = string_of(kv.value);
    } else if (kv.key == "shape") {
      seen.add(2);
      for (dom::element d : must(kv.value.get_array())) t.shape.push_back(int64_of(d));
    } else if (kv.key == "nbytes") {
      seen.add(3);
      const int64_t n = int64_of(kv.value);
      if (n < 0) throw GiveUp{};
      t.nbytes = static_cast<uint64_t>(n);
    } else if (kv.key == "file") {
      seen.add(4);
      t.file = string_of(kv.value);
    } else if (kv.key == "expert_slice") {
      seen.add(5);
      t.expert_slice = int64_of(kv.value);
    } else if (kv.key == "fused_part") {
      seen.add(6);
      const int64_t p = int64_of(kv.value);
      if (p < std::numeric_limits<int>::min() || p > std::numeric_limits<int>::max())
        throw GiveUp{};
      t.fused_part = static_cast<int>(p);
    }
  }
  return t;
}

InventoryQuantizer quantizer_of(dom::element e) {
  InventoryQuantizer q;
  if (e.type() == dom::element_type::STRING) {  // a bare name
    q.name = string_of(e);
    return q;
  }
  SeenKeys seen;
  for (dom::key_value_pair kv : must(e.get_object())) {
    if (kv.key == "name") {
      seen.add(0);
      std::optional<std::string> name = optional_string(kv.value);
      if (!name || name->empty()) throw GiveUp{};
      q.name = std::move(*name);
    } else if (kv.key == "parent_class") {
      seen.add(1);
      q.parent_class = optional_string(kv.value);
    } else if (kv.key == "initial") {
      seen.add(2);
      if (kv.value.is_null()) continue;
      if (kv.value.type() != dom::element_type::OBJECT) throw GiveUp{};
      q.initial = value_of(kv.value);
    } else if (kv.key == "initial_enabled") {
      seen.add(3);
      q.initial_enabled = optional_bool(kv.value);
    } else if (kv.key == "hard_disabled") {
      seen.add(4);
      q.hard_disabled = optional_bool(kv.value);
    } else if (kv.key == "tensors") {
      seen.add(5);
      if (kv.value.type() != dom::element_type::ARRAY) continue;
      for (dom::element t : must(kv.value.get_array())) q.tensors.push_back(tensor_of(t));
    }
  }
  if (q.name.empty()) throw GiveUp{};  // no `name`: the reference says so, located
  return q;
}

void modules_of(dom::array list, Inventory& inv) {
  for (dom::element m : list) {
    if (m.type() != dom::element_type::OBJECT) continue;
    InventoryModule mod;
    SeenKeys seen;
    for (dom::key_value_pair kv : must(m.get_object())) {
      if (kv.key == "name") {
        seen.add(0);
        mod.name = string_of(kv.value);
      } else if (kv.key == "class") {
        seen.add(1);
        if (kv.value.type() == dom::element_type::STRING) mod.class_key = string_of(kv.value);
      }
    }
    inv.modules.push_back(std::move(mod));
  }
}

Inventory inventory_of(dom::element root, const std::string& origin) {
  Inventory inv;
  inv.origin = origin;
  dom::array list;
  if (root.type() == dom::element_type::OBJECT) {
    SeenKeys seen;
    bool have_list = false;
    for (dom::key_value_pair kv : must(root.get_object())) {
      if (kv.key == "quantizers") {
        seen.add(0);
        list = must(kv.value.get_array());
        have_list = true;
      } else if (kv.key == "modules") {
        seen.add(1);
        if (kv.value.type() == dom::element_type::ARRAY)
          modules_of(must(kv.value.get_array()), inv);
      } else if (kv.key == "registry_keys") {
        seen.add(2);
        if (kv.value.type() != dom::element_type::ARRAY) continue;
        for (dom::element k : must(kv.value.get_array()))
          if (k.type() == dom::element_type::STRING) inv.registry_keys.emplace_back(string_of(k));
      } else if (kv.key == "description") {
        seen.add(3);
        if (kv.value.type() == dom::element_type::STRING) inv.description = string_of(kv.value);
      }
    }
    if (!have_list) throw GiveUp{};
  } else {
    list = must(root.get_array());
  }
  inv.quantizers.reserve(list.size());
  for (dom::element q : list) inv.quantizers.push_back(quantizer_of(q));
  return inv;
}

}  // namespace

std::optional<Inventory> inventory_from_json_fast(std::string_view text,
                                                  const std::string& origin) {
  // A byte order mark is left to the reference (which skips it).
  if (text.substr(0, 3) == "\xEF\xBB\xBF") return std::nullopt;
  const simdjson::padded_string padded(text.data(), text.size());
  dom::parser parser;
  dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) return std::nullopt;
  try {
    return inventory_of(root, origin);
  } catch (const GiveUp&) {
    return std::nullopt;
  }
}

}  // namespace qcfg::resolver
