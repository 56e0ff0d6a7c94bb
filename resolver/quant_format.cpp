#include "resolver/quant_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "resolver/attributes.h"

namespace qcfg::resolver {

const Value& attribute_field(const Value& attrs, std::string_view key) {
  static const Value null_value;
  const Value* v = attrs.find(key);
  return v != nullptr ? *v : null_value;
}

void reject_attribute(const Value& at, const std::string& message) {
  throw FormatError(at.loc(), message);
}

namespace {

std::pair<int, int> narrow(BitsPair p) {
  return {static_cast<int>(p.first), static_cast<int>(p.second)};
}

// Strict checks of the raw mapping, located at the offending value; the classification below
// then reads the typed attributes (schema/quantizer_attributes.h).
void check_dim_key(const MapEntry& e, const Value& block_sizes) {
  if (e.key.is_int()) return;
  try {
    size_t used = 0;
    (void)std::stoi(e.key.as_string(), &used);
    if (used == e.key.as_string().size()) return;
  } catch (const std::exception&) {
  }
  reject_attribute(block_sizes, "block_sizes: unknown key '" + e.key.str() + "'");
}

void check_block_entry(const MapEntry& e, const Value& block_sizes) {
  const std::string key = e.key.is_string() ? e.key.as_string() : "";
  if (key == "type" || key == "four_over_six") return;
  if (key == "scale_bits") {
    if (!e.value.is_null() && !(e.value.is_list() && e.value.size() == 2 &&
                                e.value.items()[0].is_int() && e.value.items()[1].is_int()))
      reject_attribute(e.value, "block_sizes.scale_bits " + e.value.repr() +
                                    ": only E4M3 (4, 3) and E8M0 (8, 0) block scales are applied");
  } else if (key == "scale_block_sizes") {
    if (!e.value.is_null())
      reject_attribute(e.value,
                       "block_sizes.scale_block_sizes (double-quantized NF4 scales) is not "
                       "applied by the runtime; use plain INT4 blocks");
  } else {
    check_dim_key(e, block_sizes);
    if (!e.value.is_null() && !(e.value.is_int() && e.value.as_int() > 0))
      reject_attribute(e.value,
                       "block size must be a positive integer or null, not " + e.value.repr());
  }
}

void check_blocks(const Value& block_sizes) {
  if (block_sizes.is_null()) return;
  if (!block_sizes.is_map()) reject_attribute(block_sizes, "block_sizes must be a mapping or null");
  for (const MapEntry& e : block_sizes.entries()) check_block_entry(e, block_sizes);
}

void check_rotate(const Value& v) {
  if (v.is_null() || v.is_bool()) return;
  if (!v.is_map()) reject_attribute(v, "rotate must be a boolean or a mapping");
  const Value& enable = attribute_field(v, "enable");
  if (!enable.is_null() && !enable.truthy()) return;
  const Value& mode = attribute_field(v, "mode");
  if (!mode.is_null() &&
      !(mode.is_string() && (mode.as_string() == "rotate" || mode.as_string() == "rotate_back")))
    reject_attribute(mode, "rotate.mode must be \"rotate\" or \"rotate_back\"");
}

std::optional<RotateSpec> rotate_spec(const RotationAttributes& r) {
  if (!r.enabled) return std::nullopt;
  return RotateSpec{r.rotate_back, r.block_size, r.fp32};
}

void copy_block_sizes(const QuantizerAttributes& a, FormatSpec& f) {
  for (const auto& [dim, size] : a.blocks.sizes)
    if (size) f.blocks[static_cast<int>(dim)] = *size;
}

void classify_float(const Value& num_bits, const QuantizerAttributes& a, FormatSpec& f) {
  const BitsPair em = *a.float_bits;
  const BlockSizesAttributes& b = a.blocks;
  copy_block_sizes(a, f);
  f.element = narrow(em);
  if (a.is_mx()) {
    if (!is_mx_element(f.element))
      reject_attribute(num_bits, "num_bits " + num_bits.repr() + " has no MX format");
    f.kind = FormatKind::mx;
    return;
  }
  if (a.format() == AttributeFormat::nvfp4) {
    f.kind = a.dynamic_blocks() ? FormatKind::nvfp4_dynamic : FormatKind::nvfp4_static;
    f.four_over_six = b.four_over_six;
    return;
  }
  if (em == BitsPair(4, 3) && (!b.present || (!a.dynamic_blocks() && !b.scale_bits))) {
    f.kind = FormatKind::fp8;
    return;
  }
  reject_attribute(num_bits,
                   "num_bits " + num_bits.repr() +
                       " with these block_sizes is not a format the runtime applies (FP8 E4M3, "
                       "NVFP4 with E4M3 block scales, MX with E8M0 block scales)");
}

void classify_int(const Value& num_bits, const QuantizerAttributes& a, FormatSpec& f) {
  const int64_t bits = *a.int_bits;
  if (a.blocks.present && a.dynamic_blocks()) {
    if (a.format() == AttributeFormat::mxint8) {
      f.kind = FormatKind::mx;
      f.mx_int8 = true;
      copy_block_sizes(a, f);
      return;
    }
    reject_attribute(num_bits,
                     "integer formats with dynamic blocks are not applied by the runtime");
  }
  if (bits < 2 || bits > 8) reject_attribute(num_bits, "integer num_bits must be 2..8");
  f.kind = FormatKind::integer;
  f.int_bits = static_cast<int>(bits);
  f.is_unsigned = a.is_unsigned;
  f.narrow_range = a.narrow_range;
  copy_block_sizes(a, f);
}

void check_axis(const Value& axis) {
  if (axis.is_null() || axis.is_int()) return;
  if (axis.is_list() && axis.items().size() == 1 && axis.items()[0].is_int()) return;
  reject_attribute(axis, "axis " + axis.repr() + ": the runtime keeps one channel dim (an int)");
}

}  // namespace

bool is_mx_element(std::pair<int, int> em) {
  static const std::set<std::pair<int, int>> elements = {{2, 1}, {3, 2}, {2, 3}, {1, 2},
                                                         {0, 3}, {3, 0}, {4, 3}, {5, 2}};
  return elements.count(em) > 0;
}

int64_t FormatSpec::last_dim_block() const {
  auto it = blocks.find(-1);
  return it == blocks.end() ? 0 : it->second;
}

std::string FormatSpec::label() const { return format_label(attributes); }

FormatSpec parse_format_spec(const Value& attributes) {
  if (!attributes.is_map()) reject_attribute(attributes, "quantizer attributes must be a mapping");
  FormatSpec f;
  f.loc = attributes.loc();
  f.attributes = read_quantizer_attributes(attributes);
  const QuantizerAttributes& a = f.attributes;
  const Value& num_bits = attribute_field(attributes, "num_bits");
  const Value& block_sizes = attribute_field(attributes, "block_sizes");
  check_blocks(block_sizes);
  if (a.float_bits) {
    classify_float(num_bits, a, f);
  } else if (a.int_bits) {
    classify_int(num_bits, a, f);
  } else {
    reject_attribute(num_bits,
                     "num_bits must be an integer or an (E, M) pair, not " + num_bits.repr());
  }
  if (a.per_token()) {
    if (a.blocks.sizes.size() != 1)
      reject_attribute(
          block_sizes,
          "per-token block_sizes must list one dim; the runtime keeps a single channel dim");
    f.per_token_kept = static_cast<int>(a.blocks.sizes.begin()->first);
    f.blocks.clear();
  }
  check_axis(attribute_field(attributes, "axis"));
  if (a.axis) f.axis = static_cast<int>(*a.axis);
  check_rotate(attribute_field(attributes, "rotate"));
  f.rotation = rotate_spec(a.rotation);
  return f;
}

}  // namespace qcfg::resolver
