#include "runtime/quant_format.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace qcfg::runtime {
namespace {

using numerics::MxElement;

MxElement mx_element_of(const resolver::FormatSpec& f) {
  static const std::map<std::pair<int, int>, MxElement> table = {
      {{2, 1}, MxElement::e2m1}, {{3, 2}, MxElement::e3m2}, {{2, 3}, MxElement::e2m3},
      {{1, 2}, MxElement::e1m2}, {{0, 3}, MxElement::e0m3}, {{3, 0}, MxElement::e3m0},
      {{4, 3}, MxElement::e4m3}, {{5, 2}, MxElement::e5m2}};
  if (f.mx_int8) return MxElement::int8;
  auto it = table.find(f.element);
  if (it == table.end()) throw std::logic_error("an MX element without a numerics element");
  return it->second;
}

void parse_amax_source(const Value& attrs, QuantFormat& f) {
  const Value& calibrator = resolver::attribute_field(attrs, "calibrator");
  if (!calibrator.is_null() && !(calibrator.is_string() && calibrator.as_string() == "max"))
    resolver::reject_attribute(
        calibrator, "calibrator " + calibrator.repr() + ": only max calibration is applied");
  const Value& bias = resolver::attribute_field(attrs, "bias");
  if (!bias.is_null())
    resolver::reject_attribute(bias, "affine `bias` quantization applies to the KV cache only");
  if (f.attributes.constant_amax) f.constant_amax = static_cast<float>(*f.attributes.constant_amax);
  if (f.attributes.use_constant_amax) f.constant_amax = 448.0f;
}

std::optional<numerics::RotateConfig> rotate_config(const std::optional<resolver::RotateSpec>& r) {
  if (!r) return std::nullopt;
  numerics::RotateConfig rc;
  if (r->rotate_back) rc.mode = numerics::RotateMode::rotate_back;
  if (r->block) rc.block = *r->block;
  rc.rotate_fp32 = r->fp32;
  return rc;
}

int normalize_dim(int dim, size_t rank) { return dim < 0 ? dim + static_cast<int>(rank) : dim; }

}  // namespace

QuantFormat parse_format(const Value& attributes) {
  QuantFormat f;
  static_cast<resolver::FormatSpec&>(f) = resolver::parse_format_spec(attributes);
  f.int_format.num_bits = f.int_bits;
  f.int_format.is_unsigned = f.is_unsigned;
  f.int_format.narrow_range = f.narrow_range;
  // ModelOpt on a GPU fake-quantizes integers with its CUDA extension, which writes +0.0 for a
  // channel or block whose amax is below 2^-24 (tests/modelopt/kernels: TensorQuantizer's own
  // output); the spec's Python rule (<= 2^-24, sign kept) is what it does on the CPU.
  f.int_format.tiny_amax = numerics::TinyAmaxRule::cuda_lt;
  if (f.kind == FormatKind::mx) f.mx_element = mx_element_of(f);
  parse_amax_source(attributes, f);
  f.rotate = rotate_config(f.rotation);
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
      // The canonical (Triton) path always uses 16-wide blocks (shared/spec/numerics.md §12.1).
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
