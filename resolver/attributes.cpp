#include "resolver/attributes.h"

#include "schema/attribute_config.h"

#include <fmt/format.h>

namespace qcfg::resolver {
namespace {

bool is_int_pair(const Value* v, int64_t a, int64_t b) {
  return v != nullptr && v->is_list() && v->size() == 2 && v->items()[0].is_int() &&
         v->items()[1].is_int() && v->items()[0].as_int() == a && v->items()[1].as_int() == b;
}

// block_sizes[-1] (the last-axis block size), or 0.
int64_t last_axis_block(const Value& block_sizes) {
  for (const MapEntry& e : block_sizes.entries()) {
    if (e.key.is_int() && e.key.as_int() == -1 && e.value.is_int()) return e.value.as_int();
  }
  return 0;
}

std::string fp_label(int64_t e, int64_t m, const Value* block_sizes) {
  const Value* scale_bits = block_sizes ? block_sizes->find("scale_bits") : nullptr;
  const int64_t block = block_sizes ? last_axis_block(*block_sizes) : 0;
  if (e == 2 && m == 1) {
    if (is_int_pair(scale_bits, 4, 3))
      return block == 16 ? "NVFP4" : fmt::format("NVFP4 block {}", block);
    if (is_int_pair(scale_bits, 8, 0)) return "MXFP4";
  }
  if (e == 4 && m == 3 && is_int_pair(scale_bits, 8, 0)) return "MXFP8";
  std::string label = (e == 4 && m == 3) || (e == 5 && m == 2) ? fmt::format("FP8 E{}M{}", e, m)
                                                               : fmt::format("FP E{}M{}", e, m);
  if (block > 0) label += fmt::format(" block {}", block);
  return label;
}

std::string int_label(int64_t bits, const Value& attributes) {
  const Value* block_sizes = attributes.find("block_sizes");
  const Value* axis = attributes.find("axis");
  std::string label = fmt::format("INT{}", bits);
  if (block_sizes && block_sizes->is_map()) {
    if (int64_t block = last_axis_block(*block_sizes)) label += fmt::format(" block {}", block);
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

bool is_mx_format(const Value& attributes) {
  const Value* bs = attributes.find("block_sizes");
  if (bs == nullptr || !bs->is_map()) return false;
  const Value* type = bs->find("type");
  if (type == nullptr || !type->is_string() || type->as_string() != "dynamic") return false;
  return is_int_pair(bs->find("scale_bits"), 8, 0);
}

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
  const Value* bs = attributes.find("block_sizes");
  if (bits == nullptr) return "unknown";
  if (bits->is_list() && bits->size() == 2 && bits->items()[0].is_int() &&
      bits->items()[1].is_int()) {
    return fp_label(bits->items()[0].as_int(), bits->items()[1].as_int(),
                    bs && bs->is_map() ? bs : nullptr);
  }
  if (bits->is_int()) return int_label(bits->as_int(), attributes);
  if (bits->is_bool()) return int_label(bits->as_bool() ? 1 : 0, attributes);
  if (bits->is_string()) return fmt::format("custom '{}'", bits->as_string());
  return bits->repr();
}

}  // namespace qcfg::resolver
