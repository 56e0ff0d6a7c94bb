#include "resolver/attributes.h"

#include <fmt/format.h>

#include <charconv>

#include "schema/attribute_config.h"

namespace qcfg::resolver {
namespace {

using IntPair = std::pair<int64_t, int64_t>;

std::string fp_label(int64_t e, int64_t m, const QuantizerAttributes& a) {
  const int64_t block = a.last_axis_block().value_or(0);
  if (e == 2 && m == 1) {
    if (a.scale_bits == IntPair(4, 3))
      return block == 16 ? "NVFP4" : fmt::format("NVFP4 block {}", block);
    if (a.scale_bits == IntPair(8, 0)) return "MXFP4";
  }
  if (e == 4 && m == 3 && a.scale_bits == IntPair(8, 0)) return "MXFP8";
  std::string label = (e == 4 && m == 3) || (e == 5 && m == 2) ? fmt::format("FP8 E{}M{}", e, m)
                                                               : fmt::format("FP E{}M{}", e, m);
  if (block > 0) label += fmt::format(" block {}", block);
  return label;
}

std::string int_label(int64_t bits, const Value& attributes, const QuantizerAttributes& a) {
  const Value* axis = attributes.find("axis");
  std::string label = fmt::format("INT{}", bits);
  if (a.has_block_sizes) {
    if (int64_t block = a.last_axis_block().value_or(0)) label += fmt::format(" block {}", block);
  } else if (axis && !axis->is_null()) {
    label += " per-channel";
  }
  return label;
}

}  // namespace

// A quantizer's attributes are a QuantizerAttributeConfig dump without `enable` (the switch is
// kept separately, as ModelOpt keeps it in `_disabled`).
Value default_attributes() {
  Value m = default_attribute_dump();
  m.erase("enable");
  return m;
}

Value attributes_with(const Value& partial) {
  Value m = default_attributes();
  if (partial.is_map()) {
    for (const MapEntry& e : partial.entries()) m.insert(e.key, e.value);
  }
  m.erase("enable");
  return m;
}

Value stored_attributes(const Value& cfg_full) {
  Value m = attributes_with(cfg_full);
  if (is_mx_format(m)) m.set("pass_through_bwd", Value::boolean(true));
  return m;
}

namespace {

// An axis key: an int (configs) or the decimal text of one (plans, JSON keys).
std::optional<int64_t> axis_of(const Value& key) {
  if (key.is_int()) return key.as_int();
  if (!key.is_string()) return std::nullopt;
  const std::string& t = key.as_string();
  int64_t v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

void read_blocks(const Value& bs, QuantizerAttributes& a) {
  a.has_block_sizes = true;
  for (const MapEntry& e : bs.entries()) {
    const std::string key = e.key.is_string() ? e.key.as_string() : "";
    if (key == "type") {
      if (e.value.is_string()) a.block_type = e.value.as_string();
    } else if (key == "scale_bits") {
      const Value& v = e.value;
      if (v.is_list() && v.size() == 2 && v.items()[0].is_int() && v.items()[1].is_int())
        a.scale_bits = std::pair(v.items()[0].as_int(), v.items()[1].as_int());
    } else if (const std::optional<int64_t> axis = axis_of(e.key)) {
      a.blocks[*axis] = e.value.is_int() ? std::optional(e.value.as_int()) : std::nullopt;
    }
  }
}

QuantizerAttributes::Rotation read_rotation(const Value* rot) {
  QuantizerAttributes::Rotation r;
  if (rot == nullptr) return r;
  if (rot->is_bool()) {
    r.enabled = rot->as_bool();
    return r;
  }
  if (!rot->is_map()) return r;
  if (const Value* e = rot->find("enable"); e && e->is_bool()) r.enabled = e->as_bool();
  if (const Value* m = rot->find("mode"); m && m->is_string())
    r.rotate_back = m->as_string() == "rotate_back";
  if (const Value* b = rot->find("block_size"); b && b->is_int()) r.block_size = b->as_int();
  return r;
}

}  // namespace

QuantizerAttributes read_quantizer_attributes(const Value& attributes) {
  QuantizerAttributes a;
  if (!attributes.is_map()) return a;
  if (const Value* t = attributes.find("type"); t != nullptr && t->is_string())
    a.type = t->as_string();
  if (const Value* bs = attributes.find("block_sizes"); bs != nullptr && bs->is_map())
    read_blocks(*bs, a);
  const Value* c = attributes.find("constant_amax");
  const Value* use = attributes.find("use_constant_amax");
  a.constant_amax = (c != nullptr && !c->is_null()) || (use != nullptr && use->truthy());
  a.rotation = read_rotation(attributes.find("rotate"));
  return a;
}

std::optional<int64_t> QuantizerAttributes::last_axis_block() const {
  auto it = blocks.find(-1);
  return it == blocks.end() ? std::nullopt : it->second;
}

bool QuantizerAttributes::mx() const {
  return block_type == "dynamic" && scale_bits == std::pair<int64_t, int64_t>(8, 0);
}

bool is_mx_format(const Value& attributes) { return read_quantizer_attributes(attributes).mx(); }

bool disable_rotate(Value& attributes) {
  Value* rotate = attributes.find("rotate");
  if (rotate == nullptr) return false;
  if (rotate->is_map()) {
    const Value* enable = rotate->find("enable");
    if (enable && enable->is_bool() && !enable->as_bool()) return false;
    rotate->set("enable", Value::boolean(false));
    return true;
  }
  if (rotate->is_bool() && !rotate->as_bool()) return false;
  *rotate = Value::boolean(false, rotate->loc());
  return true;
}

std::string format_label(const Value& attributes) {
  const Value* bits = attributes.find("num_bits");
  if (bits == nullptr) return "unknown";
  const QuantizerAttributes a = read_quantizer_attributes(attributes);
  if (bits->is_list() && bits->size() == 2 && bits->items()[0].is_int() &&
      bits->items()[1].is_int()) {
    return fp_label(bits->items()[0].as_int(), bits->items()[1].as_int(), a);
  }
  if (bits->is_int()) return int_label(bits->as_int(), attributes, a);
  if (bits->is_bool()) return int_label(bits->as_bool() ? 1 : 0, attributes, a);
  if (bits->is_string()) return fmt::format("custom '{}'", bits->as_string());
  return bits->repr();
}

}  // namespace qcfg::resolver
