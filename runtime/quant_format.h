// What one quantizer stage does to a weight, read from its plan attributes
// (QuantizerAttributeConfig fields, shared/spec/numerics.md §0): the number format, how amax is
// laid out, rotation, and how amax is obtained. Attributes the runtime cannot apply are rejected
// here, with the location of the offending attribute in the plan.
#pragma once

#include <optional>
#include <string>

#include "compiler/value.h"
#include "kernels/cpu/numerics.h"
#include "resolver/quant_format.h"

namespace qcfg::runtime {

// The format classification (kind, element, blocks, axis, rotation) lives in
// resolver/quant_format.h, shared with lint; the runtime adds the numerics types and the
// amax source.
using resolver::FormatError;
using resolver::FormatKind;

struct QuantFormat : resolver::FormatSpec {
  numerics::IntFormat int_format;
  numerics::MxElement mx_element = numerics::MxElement::e2m1;
  std::optional<float> constant_amax;  // constant_amax, or 448 for use_constant_amax
  // Static NVFP4 weights under algorithm `mse` with `fp8_scale_sweep: true`: the block amax come
  // from ModelOpt's FP8 scale sweep, not from max (set by the runtime, not by attributes).
  bool fp8_scale_sweep = false;
  std::optional<numerics::RotateConfig> rotate;
};

// Throws FormatError for anything the runtime does not apply (bias, calibrators other than max,
// NF4 scale blocks, axis lists, integer dynamic blocks, ...).
QuantFormat parse_format(const Value& attributes);

// The amax layout of `format` on a tensor of `shape`. Throws std::invalid_argument naming the
// problem when it does not fit (axis out of range, block not dividing the dim).
numerics::Granularity granularity_for(const QuantFormat& format, const numerics::Shape& shape);

// The fake-quant spec of `format` with calibrated amax `amax` (granularity_for's layout; for
// NVFP4 static: per-block amax, the global amax is their max unless `global_amax` is given).
numerics::QuantSpec make_spec(const QuantFormat& format, const numerics::Granularity& g,
                              const std::vector<float>& amax,
                              std::optional<float> global_amax = std::nullopt);

// The granularity calibration collects with: per block for static NVFP4, per tensor for dynamic
// NVFP4 (the global amax), none needed for MX (returns nullopt).
std::optional<numerics::Granularity> calibration_granularity(const QuantFormat& format,
                                                             const numerics::Shape& shape);

}  // namespace qcfg::runtime
