#include "resolver/quant_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

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

// (E, M) of a float format, or nullopt for an integer num_bits.
std::optional<std::pair<int, int>> float_bits(const Value& v) {
  if (!v.is_list() || v.items().size() != 2 || !v.items()[0].is_int() || !v.items()[1].is_int())
    return std::nullopt;
  return std::pair<int, int>(static_cast<int>(v.items()[0].as_int()),
                             static_cast<int>(v.items()[1].as_int()));
}

struct BlockSpec {
  bool present = false;
  bool dynamic = false;
  std::optional<std::pair<int, int>> scale_bits;
  std::map<int, std::optional<int64_t>> sizes;  // dim -> size (None kept as nullopt)
  bool four_over_six = false;
};

int parse_dim_key(const MapEntry& e, const Value& block_sizes) {
  if (e.key.is_int()) return static_cast<int>(e.key.as_int());
  try {
    size_t used = 0;
    const int dim = std::stoi(e.key.as_string(), &used);
    if (used == e.key.as_string().size()) return dim;
  } catch (const std::exception&) {
  }
  reject_attribute(block_sizes, "block_sizes: unknown key '" + e.key.str() + "'");
}

void parse_block_size(const MapEntry& e, const Value& block_sizes, BlockSpec& b) {
  const int dim = parse_dim_key(e, block_sizes);
  if (e.value.is_null()) {
    b.sizes[dim] = std::nullopt;
  } else if (e.value.is_int() && e.value.as_int() > 0) {
    b.sizes[dim] = e.value.as_int();
  } else {
    reject_attribute(e.value,
                     "block size must be a positive integer or null, not " + e.value.repr());
  }
}

BlockSpec parse_blocks(const Value& block_sizes) {
  BlockSpec b;
  if (block_sizes.is_null()) return b;
  if (!block_sizes.is_map()) reject_attribute(block_sizes, "block_sizes must be a mapping or null");
  b.present = true;
  for (const MapEntry& e : block_sizes.entries()) {
    const std::string key = e.key.is_string() ? e.key.as_string() : "";
    if (key == "type") {
      b.dynamic = e.value.is_string() && e.value.as_string() == "dynamic";
    } else if (key == "scale_bits") {
      b.scale_bits = float_bits(e.value);
      if (!b.scale_bits && !e.value.is_null())
        reject_attribute(e.value,
                         "block_sizes.scale_bits " + e.value.repr() +
                             ": only E4M3 (4, 3) and E8M0 (8, 0) block scales are applied");
    } else if (key == "scale_block_sizes") {
      if (!e.value.is_null())
        reject_attribute(e.value,
                         "block_sizes.scale_block_sizes (double-quantized NF4 scales) is not "
                         "applied by the runtime; use plain INT4 blocks");
    } else if (key == "four_over_six") {
      b.four_over_six = e.value.truthy();
    } else {
      parse_block_size(e, block_sizes, b);
    }
  }
  return b;
}

bool all_sizes_null(const BlockSpec& b) {
  return !b.sizes.empty() && std::all_of(b.sizes.begin(), b.sizes.end(),
                                         [](const auto& kv) { return !kv.second.has_value(); });
}

std::optional<RotateSpec> parse_rotate(const Value& v) {
  if (v.is_null() || (v.is_bool() && !v.as_bool())) return std::nullopt;
  RotateSpec rc;
  if (v.is_bool()) return rc;
  if (!v.is_map()) reject_attribute(v, "rotate must be a boolean or a mapping");
  const Value& enable = attribute_field(v, "enable");
  if (!enable.is_null() && !enable.truthy()) return std::nullopt;
  const Value& mode = attribute_field(v, "mode");
  if (mode.is_string() && mode.as_string() == "rotate_back")
    rc.rotate_back = true;
  else if (!mode.is_null() && !(mode.is_string() && mode.as_string() == "rotate"))
    reject_attribute(mode, "rotate.mode must be \"rotate\" or \"rotate_back\"");
  const Value& block = attribute_field(v, "block_size");
  if (block.is_int()) rc.block = block.as_int();
  rc.fp32 = attribute_field(v, "rotate_fp32").truthy();
  return rc;
}

void copy_block_sizes(const BlockSpec& b, FormatSpec& f) {
  for (const auto& [dim, size] : b.sizes)
    if (size) f.blocks[dim] = *size;
}

void classify_float(const Value& num_bits, std::pair<int, int> em, const BlockSpec& b,
                    FormatSpec& f) {
  const bool e8m0 = b.scale_bits == std::pair<int, int>(8, 0);
  const bool e4m3_scales = b.scale_bits == std::pair<int, int>(4, 3);
  copy_block_sizes(b, f);
  f.element = em;
  if (b.present && b.dynamic && e8m0) {
    if (!is_mx_element(em))
      reject_attribute(num_bits, "num_bits " + num_bits.repr() + " has no MX format");
    f.kind = FormatKind::mx;
    return;
  }
  if (em == std::pair<int, int>(2, 1) && b.present && e4m3_scales) {
    f.kind = b.dynamic ? FormatKind::nvfp4_dynamic : FormatKind::nvfp4_static;
    f.four_over_six = b.four_over_six;
    return;
  }
  if (em == std::pair<int, int>(4, 3) && (!b.present || (!b.dynamic && !b.scale_bits))) {
    f.kind = FormatKind::fp8;
    return;
  }
  reject_attribute(num_bits,
                   "num_bits " + num_bits.repr() +
                       " with these block_sizes is not a format the runtime applies (FP8 E4M3, "
                       "NVFP4 with E4M3 block scales, MX with E8M0 block scales)");
}

void classify_int(const Value& num_bits, const BlockSpec& b, const Value& attrs, FormatSpec& f) {
  const int64_t bits = num_bits.as_int();
  if (b.present && b.dynamic) {
    if (bits == 8 && b.scale_bits == std::pair<int, int>(8, 0)) {
      f.kind = FormatKind::mx;
      f.mx_int8 = true;
      copy_block_sizes(b, f);
      return;
    }
    reject_attribute(num_bits,
                     "integer formats with dynamic blocks are not applied by the runtime");
  }
  if (bits < 2 || bits > 8) reject_attribute(num_bits, "integer num_bits must be 2..8");
  f.kind = FormatKind::integer;
  f.int_bits = static_cast<int>(bits);
  f.is_unsigned = attribute_field(attrs, "unsigned").truthy();
  f.narrow_range = attribute_field(attrs, "narrow_range").truthy();
  copy_block_sizes(b, f);
}

void parse_axis(const Value& axis, FormatSpec& f) {
  if (axis.is_null()) return;
  if (axis.is_int()) {
    f.axis = static_cast<int>(axis.as_int());
  } else if (axis.is_list() && axis.items().size() == 1 && axis.items()[0].is_int()) {
    f.axis = static_cast<int>(axis.items()[0].as_int());
  } else {
    reject_attribute(axis, "axis " + axis.repr() + ": the runtime keeps one channel dim (an int)");
  }
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

std::string FormatSpec::label() const {
  std::string base;
  switch (kind) {
    case FormatKind::integer:
      base = fmt::format("INT{}", int_bits);
      break;
    case FormatKind::fp8:
      base = "FP8";
      break;
    case FormatKind::nvfp4_dynamic:
      return "NVFP4";
    case FormatKind::nvfp4_static:
      return four_over_six ? "NVFP4 static (4/6)" : "NVFP4 static";
    case FormatKind::mx:
      return mx_int8                                ? "MXINT8"
             : element == std::pair<int, int>(2, 1) ? "MXFP4"
             : element == std::pair<int, int>(4, 3) ? "MXFP8"
                                                    : "MXFP6";
  }
  if (axis || per_token_kept) return base + " per-channel";
  if (!blocks.empty()) return base + fmt::format(" block {}", last_dim_block());
  return base + " per-tensor";
}

FormatSpec parse_format_spec(const Value& attributes) {
  if (!attributes.is_map()) reject_attribute(attributes, "quantizer attributes must be a mapping");
  FormatSpec f;
  f.loc = attributes.loc();
  const Value& num_bits = attribute_field(attributes, "num_bits");
  const BlockSpec blocks = parse_blocks(attribute_field(attributes, "block_sizes"));
  if (auto em = float_bits(num_bits)) {
    classify_float(num_bits, *em, blocks, f);
  } else if (num_bits.is_int()) {
    classify_int(num_bits, blocks, attributes, f);
  } else {
    reject_attribute(num_bits,
                     "num_bits must be an integer or an (E, M) pair, not " + num_bits.repr());
  }
  if (all_sizes_null(blocks)) {
    if (blocks.sizes.size() != 1)
      reject_attribute(
          attribute_field(attributes, "block_sizes"),
          "per-token block_sizes must list one dim; the runtime keeps a single channel dim");
    f.per_token_kept = blocks.sizes.begin()->first;
    f.blocks.clear();
  }
  parse_axis(attribute_field(attributes, "axis"), f);
  f.rotation = parse_rotate(attribute_field(attributes, "rotate"));
  return f;
}

}  // namespace qcfg::resolver
