#include "resolver/attributes.h"

#include <fmt/format.h>

#include "schema/attribute_config.h"

namespace qcfg::resolver {
namespace {

// How amax is laid out: per channel (an axis, or per token), by blocks, or per tensor.
std::string granularity_suffix(const QuantizerAttributes& a) {
  if (a.axis_set || a.per_token()) return " per-channel";
  for (const auto& [axis, size] : a.blocks.sizes)
    if (size) return fmt::format(" block {}", a.last_axis_block().value_or(0));
  return " per-tensor";
}

std::string nvfp4_label(const QuantizerAttributes& a) {
  const int64_t block = a.last_axis_block().value_or(0);
  std::string label = a.dynamic_blocks() ? "NVFP4" : "NVFP4 static";
  if (block != 16) label += fmt::format(" block {}", block);
  return a.blocks.four_over_six && !a.dynamic_blocks() ? label + " (4/6)" : label;
}

std::string float_label(const QuantizerAttributes& a) {
  const auto [e, m] = *a.float_bits;
  if (e == 4 && m == 3) return "FP8" + granularity_suffix(a);
  if (e == 5 && m == 2) return "FP8 E5M2" + granularity_suffix(a);
  return fmt::format("FP E{}M{}", e, m) + granularity_suffix(a);
}

std::string mx_other_label(const QuantizerAttributes& a) {
  if (a.float_bits) return fmt::format("MX E{}M{}", a.float_bits->first, a.float_bits->second);
  return fmt::format("MXINT{}", a.int_bits.value_or(a.bool_bits.value_or(false)));
}

}  // namespace

std::string format_label(const QuantizerAttributes& a) {
  switch (a.format()) {
    case AttributeFormat::none:
      return a.num_bits_field.present ? a.num_bits_field.repr : "unknown";
    case AttributeFormat::custom:
      return fmt::format("custom '{}'", *a.custom_bits);
    case AttributeFormat::integer:
      return fmt::format("INT{}", a.int_bits.value_or(a.bool_bits.value_or(false))) +
             granularity_suffix(a);
    case AttributeFormat::fp8:
    case AttributeFormat::float_other:
      return float_label(a);
    case AttributeFormat::nvfp4:
      return nvfp4_label(a);
    case AttributeFormat::mxfp4:
      return "MXFP4";
    case AttributeFormat::mxfp6:
      return "MXFP6";
    case AttributeFormat::mxfp8:
      return "MXFP8";
    case AttributeFormat::mxint8:
      return "MXINT8";
    case AttributeFormat::mx_other:
      return mx_other_label(a);
  }
  return "unknown";
}

std::string format_label(const Value& attributes) {
  return format_label(read_quantizer_attributes(attributes));
}

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

bool is_mx_format(const Value& attributes) { return read_quantizer_attributes(attributes).is_mx(); }

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

}  // namespace qcfg::resolver
