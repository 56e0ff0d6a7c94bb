#include "schema/quantizer_attributes.h"

#include <algorithm>
#include <charconv>

namespace qcfg {
namespace {

AttributeField field_of(const Value& v) { return {true, v.loc(), v.repr()}; }

std::optional<BitsPair> bits_pair(const Value& v) {
  if (!v.is_list() || v.size() != 2 || !v.items()[0].is_int() || !v.items()[1].is_int())
    return std::nullopt;
  return BitsPair(v.items()[0].as_int(), v.items()[1].as_int());
}

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

void read_block_entry(const MapEntry& e, BlockSizesAttributes& b) {
  const std::string key = e.key.is_string() ? e.key.as_string() : "";
  if (key == "type") {
    b.type_field = field_of(e.value);
    if (e.value.is_string()) b.type = e.value.as_string();
  } else if (key == "scale_bits") {
    b.scale_bits_field = field_of(e.value);
    b.scale_bits = bits_pair(e.value);
  } else if (key == "scale_block_sizes") {
    b.scale_block_sizes = !e.value.is_null();
  } else if (key == "four_over_six") {
    b.four_over_six = e.value.truthy();
  } else if (const std::optional<int64_t> axis = axis_of(e.key)) {
    b.sizes[*axis] = e.value.is_int() ? std::optional(e.value.as_int()) : std::nullopt;
    b.axis_locs[*axis] = e.key.loc();
  }
}

void read_num_bits(const Value& v, QuantizerAttributes& a) {
  a.num_bits_field = field_of(v);
  if (v.is_int()) a.int_bits = v.as_int();
  if (v.is_bool()) a.bool_bits = v.as_bool();
  if (v.is_string()) a.custom_bits = v.as_string();
  a.float_bits = bits_pair(v);
}

void read_axis(const Value& v, QuantizerAttributes& a) {
  a.axis_set = !v.is_null();
  if (v.is_int()) a.axis = v.as_int();
  if (v.is_list() && v.size() == 1 && v.items()[0].is_int()) a.axis = v.items()[0].as_int();
}

RotationAttributes read_rotation(const Value& rot) {
  RotationAttributes r;
  if (rot.is_bool()) {
    r.enabled = rot.as_bool();
    return r;
  }
  if (!rot.is_map()) return r;
  if (const Value* e = rot.find("enable"); e && e->is_bool()) r.enabled = e->as_bool();
  if (const Value* m = rot.find("mode"); m && m->is_string())
    r.rotate_back = m->as_string() == "rotate_back";
  if (const Value* b = rot.find("block_size"); b && b->is_int()) r.block_size = b->as_int();
  if (const Value* f = rot.find("rotate_fp32")) r.fp32 = f->truthy();
  return r;
}

void read_constant_amax(const Value& v, QuantizerAttributes& a) {
  a.constant_amax_set = !v.is_null();
  if (v.is_number())
    a.constant_amax = v.is_float() ? v.as_float() : static_cast<double>(v.as_int());
}

void read_field(const MapEntry& e, QuantizerAttributes& a) {
  if (!e.key.is_string()) return;
  const std::string& key = e.key.as_string();
  const Value& v = e.value;
  if (key == "num_bits") {
    read_num_bits(v, a);
  } else if (key == "axis") {
    read_axis(v, a);
  } else if (key == "enable") {
    if (v.is_bool()) a.enable = v.as_bool();
  } else if (key == "type") {
    if (v.is_string()) a.type = v.as_string();
  } else if (key == "unsigned") {
    a.is_unsigned = v.truthy();
  } else if (key == "narrow_range") {
    a.narrow_range = v.truthy();
  } else if (key == "block_sizes") {
    a.blocks.present = v.is_map();
    if (v.is_map())
      for (const MapEntry& b : v.entries()) read_block_entry(b, a.blocks);
  } else if (key == "rotate") {
    a.rotation = read_rotation(v);
  } else if (key == "constant_amax") {
    read_constant_amax(v, a);
  } else if (key == "use_constant_amax") {
    a.use_constant_amax = v.truthy();
  } else if (key == "bias") {
    a.bias_set = !v.is_null();
  } else if (key == "backend") {
    a.backend_set = !v.is_null();
  } else if (key == "fake_quant") {
    a.fake_quant_field = field_of(v);
    if (v.is_bool()) a.fake_quant = v.as_bool();
  }
}

AttributeFormat mx_format(const QuantizerAttributes& a) {
  if (a.int_bits == 8) return AttributeFormat::mxint8;
  if (a.float_bits == BitsPair(2, 1)) return AttributeFormat::mxfp4;
  if (a.float_bits == BitsPair(3, 2) || a.float_bits == BitsPair(2, 3))
    return AttributeFormat::mxfp6;
  if (a.float_bits == BitsPair(4, 3) || a.float_bits == BitsPair(5, 2))
    return AttributeFormat::mxfp8;
  return AttributeFormat::mx_other;
}

}  // namespace

QuantizerAttributes read_quantizer_attributes(const Value& attributes) {
  QuantizerAttributes a;
  a.loc = attributes.loc();
  if (!attributes.is_map()) return a;
  for (const MapEntry& e : attributes.entries()) read_field(e, a);
  return a;
}

bool QuantizerAttributes::per_token() const {
  return !blocks.sizes.empty() &&
         std::all_of(blocks.sizes.begin(), blocks.sizes.end(),
                     [](const auto& axis) { return !axis.second.has_value(); });
}

std::optional<int64_t> QuantizerAttributes::last_axis_block() const {
  auto it = blocks.sizes.find(-1);
  return it == blocks.sizes.end() ? std::nullopt : it->second;
}

AttributeFormat QuantizerAttributes::format() const {
  if (custom_bits) return AttributeFormat::custom;
  if (!int_bits && !bool_bits && !float_bits) return AttributeFormat::none;
  if (is_mx()) return mx_format(*this);
  if (!float_bits) return AttributeFormat::integer;
  if (float_bits == BitsPair(2, 1) && blocks.scale_bits == BitsPair(4, 3))
    return AttributeFormat::nvfp4;
  if (float_bits == BitsPair(4, 3) || float_bits == BitsPair(5, 2)) return AttributeFormat::fp8;
  return AttributeFormat::float_other;
}

}  // namespace qcfg
