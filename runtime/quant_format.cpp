#include "runtime/quant_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace qcfg::runtime {
namespace {

using numerics::MxElement;

[[noreturn]] void reject(const Value& at, const std::string& message) {
  throw FormatError(at.loc(), message);
}

const Value& field(const Value& attrs, std::string_view key) {
  static const Value null_value;
  const Value* v = attrs.find(key);
  return v != nullptr ? *v : null_value;
}

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
  reject(block_sizes, "block_sizes: unknown key '" + e.key.str() + "'");
}

BlockSpec parse_blocks(const Value& block_sizes) {
  BlockSpec b;
  if (block_sizes.is_null()) return b;
  if (!block_sizes.is_map()) reject(block_sizes, "block_sizes must be a mapping or null");
  b.present = true;
  for (const MapEntry& e : block_sizes.entries()) {
    const std::string key = e.key.is_string() ? e.key.as_string() : "";
    if (key == "type") {
      b.dynamic = e.value.is_string() && e.value.as_string() == "dynamic";
    } else if (key == "scale_bits") {
      b.scale_bits = float_bits(e.value);
      if (!b.scale_bits && !e.value.is_null())
        reject(e.value, "block_sizes.scale_bits " + e.value.repr() +
                            ": only E4M3 (4, 3) and E8M0 (8, 0) block scales are applied");
    } else if (key == "scale_block_sizes") {
      if (!e.value.is_null())
        reject(e.value,
               "block_sizes.scale_block_sizes (double-quantized NF4 scales) is not "
               "applied by the runtime; use plain INT4 blocks");
    } else if (key == "four_over_six") {
      b.four_over_six = e.value.truthy();
    } else {
      const int dim = parse_dim_key(e, block_sizes);
      if (e.value.is_null()) {
        b.sizes[dim] = std::nullopt;
      } else if (e.value.is_int() && e.value.as_int() > 0) {
        b.sizes[dim] = e.value.as_int();
      } else {
        reject(e.value, "block size must be a positive integer or null, not " + e.value.repr());
      }
    }
  }
  return b;
}

bool all_sizes_null(const BlockSpec& b) {
  return !b.sizes.empty() && std::all_of(b.sizes.begin(), b.sizes.end(),
                                         [](const auto& kv) { return !kv.second.has_value(); });
}

std::optional<numerics::RotateConfig> parse_rotate(const Value& v) {
  if (v.is_null() || (v.is_bool() && !v.as_bool())) return std::nullopt;
  numerics::RotateConfig rc;
  if (v.is_bool()) return rc;
  if (!v.is_map()) reject(v, "rotate must be a boolean or a mapping");
  const Value& enable = field(v, "enable");
  if (!enable.is_null() && !enable.truthy()) return std::nullopt;
  const Value& mode = field(v, "mode");
  if (mode.is_string() && mode.as_string() == "rotate_back")
    rc.mode = numerics::RotateMode::rotate_back;
  else if (!mode.is_null() && !(mode.is_string() && mode.as_string() == "rotate"))
    reject(mode, "rotate.mode must be \"rotate\" or \"rotate_back\"");
  const Value& block = field(v, "block_size");
  if (block.is_int()) rc.block = block.as_int();
  rc.rotate_fp32 = field(v, "rotate_fp32").truthy();
  return rc;
}

std::optional<MxElement> mx_element_of(std::pair<int, int> em) {
  static const std::map<std::pair<int, int>, MxElement> table = {
      {{2, 1}, MxElement::e2m1}, {{3, 2}, MxElement::e3m2}, {{2, 3}, MxElement::e2m3},
      {{1, 2}, MxElement::e1m2}, {{0, 3}, MxElement::e0m3}, {{3, 0}, MxElement::e3m0},
      {{4, 3}, MxElement::e4m3}, {{5, 2}, MxElement::e5m2}};
  auto it = table.find(em);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

void copy_block_sizes(const BlockSpec& b, QuantFormat& f) {
  for (const auto& [dim, size] : b.sizes)
    if (size) f.blocks[dim] = *size;
}

void classify_float(const Value& num_bits, std::pair<int, int> em, const BlockSpec& b,
                    QuantFormat& f) {
  const bool e8m0 = b.scale_bits == std::pair<int, int>(8, 0);
  const bool e4m3_scales = b.scale_bits == std::pair<int, int>(4, 3);
  copy_block_sizes(b, f);
  if (b.present && b.dynamic && e8m0) {
    const auto element = mx_element_of(em);
    if (!element) reject(num_bits, "num_bits " + num_bits.repr() + " has no MX format");
    f.kind = FormatKind::mx;
    f.mx_element = *element;
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
  reject(num_bits, "num_bits " + num_bits.repr() +
                       " with these block_sizes is not a format the runtime applies (FP8 E4M3, "
                       "NVFP4 with E4M3 block scales, MX with E8M0 block scales)");
}

void classify_int(const Value& num_bits, const BlockSpec& b, const Value& attrs, QuantFormat& f) {
  const int64_t bits = num_bits.as_int();
  if (b.present && b.dynamic) {
    if (bits == 8 && b.scale_bits == std::pair<int, int>(8, 0)) {
      f.kind = FormatKind::mx;
      f.mx_element = MxElement::int8;
      copy_block_sizes(b, f);
      return;
    }
    reject(num_bits, "integer formats with dynamic blocks are not applied by the runtime");
  }
  if (bits < 2 || bits > 8) reject(num_bits, "integer num_bits must be 2..8");
  f.kind = FormatKind::integer;
  f.int_format.num_bits = static_cast<int>(bits);
  f.int_format.is_unsigned = field(attrs, "unsigned").truthy();
  f.int_format.narrow_range = field(attrs, "narrow_range").truthy();
  copy_block_sizes(b, f);
}

void parse_axis(const Value& axis, QuantFormat& f) {
  if (axis.is_null()) return;
  if (axis.is_int()) {
    f.axis = static_cast<int>(axis.as_int());
  } else if (axis.is_list() && axis.items().size() == 1 && axis.items()[0].is_int()) {
    f.axis = static_cast<int>(axis.items()[0].as_int());
  } else {
    reject(axis, "axis " + axis.repr() + ": the runtime keeps one channel dim (an int)");
  }
}

void parse_amax_source(const Value& attrs, QuantFormat& f) {
  const Value& calibrator = field(attrs, "calibrator");
  if (!calibrator.is_null() && !(calibrator.is_string() && calibrator.as_string() == "max"))
    reject(calibrator, "calibrator " + calibrator.repr() + ": only max calibration is applied");
  const Value& bias = field(attrs, "bias");
  if (!bias.is_null()) reject(bias, "affine `bias` quantization applies to the KV cache only");
  const Value& constant = field(attrs, "constant_amax");
  if (constant.is_number())
    f.constant_amax =
        static_cast<float>(constant.is_float() ? constant.as_float() : constant.as_int());
  if (field(attrs, "use_constant_amax").truthy()) f.constant_amax = 448.0f;
}

int normalize_dim(int dim, size_t rank) { return dim < 0 ? dim + static_cast<int>(rank) : dim; }

}  // namespace

int64_t QuantFormat::last_dim_block() const {
  auto it = blocks.find(-1);
  return it == blocks.end() ? 0 : it->second;
}

std::string QuantFormat::label() const {
  std::string base;
  switch (kind) {
    case FormatKind::integer:
      base = fmt::format("INT{}", int_format.num_bits);
      break;
    case FormatKind::fp8:
      base = "FP8";
      break;
    case FormatKind::nvfp4_dynamic:
      return "NVFP4";
    case FormatKind::nvfp4_static:
      return four_over_six ? "NVFP4 static (4/6)" : "NVFP4 static";
    case FormatKind::mx:
      return mx_element == MxElement::e2m1   ? "MXFP4"
             : mx_element == MxElement::e4m3 ? "MXFP8"
             : mx_element == MxElement::int8 ? "MXINT8"
                                             : "MXFP6";
  }
  if (axis || per_token_kept) return base + " per-channel";
  if (!blocks.empty()) return base + fmt::format(" block {}", last_dim_block());
  return base + " per-tensor";
}

QuantFormat parse_format(const Value& attributes) {
  if (!attributes.is_map()) reject(attributes, "quantizer attributes must be a mapping");
  QuantFormat f;
  f.loc = attributes.loc();
  const Value& num_bits = field(attributes, "num_bits");
  const BlockSpec blocks = parse_blocks(field(attributes, "block_sizes"));
  if (auto em = float_bits(num_bits)) {
    classify_float(num_bits, *em, blocks, f);
  } else if (num_bits.is_int()) {
    classify_int(num_bits, blocks, attributes, f);
  } else {
    reject(num_bits, "num_bits must be an integer or an (E, M) pair, not " + num_bits.repr());
  }
  if (all_sizes_null(blocks)) {
    if (blocks.sizes.size() != 1)
      reject(field(attributes, "block_sizes"),
             "per-token block_sizes must list one dim; the runtime keeps a single channel dim");
    f.per_token_kept = blocks.sizes.begin()->first;
    f.blocks.clear();
  }
  parse_axis(field(attributes, "axis"), f);
  parse_amax_source(attributes, f);
  f.rotate = parse_rotate(field(attributes, "rotate"));
  return f;
}

numerics::Granularity granularity_for(const QuantFormat& f, const numerics::Shape& shape) {
  const size_t rank = shape.size();
  if (f.per_token_kept) {
    // `{d: None}` reduces dim d and keeps the others; the runtime supports one kept dim.
    if (rank != 2)
      throw std::invalid_argument(
          fmt::format("per-token blocks need a 2-D weight, got rank {}", rank));
    const int reduced = normalize_dim(*f.per_token_kept, rank);
    return numerics::PerAxis{reduced == 1 ? 0 : 1};
  }
  if (f.axis) {
    const int axis = normalize_dim(*f.axis, rank);
    if (axis < 0 || axis >= static_cast<int>(rank))
      throw std::invalid_argument(
          fmt::format("axis {} is out of range for a weight of rank {}", *f.axis, rank));
    return numerics::PerAxis{axis};
  }
  if (f.blocks.empty() || f.kind == FormatKind::mx || f.kind == FormatKind::nvfp4_dynamic)
    return numerics::PerTensor{};
  numerics::PerBlock pb;
  for (const auto& [dim, size] : f.blocks) {
    const int d = normalize_dim(dim, rank);
    if (d == static_cast<int>(rank) - 1)
      pb.block = size;
    else if (d == static_cast<int>(rank) - 2)
      pb.block_rows = size;
    else
      throw std::invalid_argument(
          fmt::format("block on dim {}: only the last two dims can be blocked", dim));
  }
  if (pb.block == 0) throw std::invalid_argument("static blocks need a block size on the last dim");
  return pb;
}

std::optional<numerics::Granularity> calibration_granularity(const QuantFormat& f,
                                                             const numerics::Shape& shape) {
  switch (f.kind) {
    case FormatKind::mx:
      return std::nullopt;
    case FormatKind::nvfp4_dynamic:
      return numerics::PerTensor{};
    case FormatKind::nvfp4_static:
      return numerics::PerBlock{f.last_dim_block(), 1};
    default:
      return granularity_for(f, shape);
  }
}

numerics::QuantSpec make_spec(const QuantFormat& f, const numerics::Granularity& g,
                              const std::vector<float>& amax, std::optional<float> global_amax) {
  switch (f.kind) {
    case FormatKind::integer:
      return numerics::IntQuant{f.int_format, g, amax};
    case FormatKind::fp8:
      return numerics::Fp8Quant{g, amax};
    case FormatKind::nvfp4_dynamic:
      // The canonical (Triton) path always uses 16-wide blocks (numerics.md §12.1).
      return numerics::Nvfp4DynamicQuant{amax.empty() ? 0.0f : amax[0], 16,
                                         numerics::Nvfp4Path::triton};
    case FormatKind::nvfp4_static: {
      const float g = global_amax
                          ? *global_amax
                          : (amax.empty() ? 0.0f : *std::max_element(amax.begin(), amax.end()));
      return numerics::Nvfp4StaticQuant{amax, g, f.four_over_six, f.last_dim_block()};
    }
    case FormatKind::mx:
      return numerics::MxQuant{f.mx_element, f.last_dim_block() > 0 ? f.last_dim_block() : 32};
  }
  throw std::logic_error("unknown format kind");
}

}  // namespace qcfg::runtime
