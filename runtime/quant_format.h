// What one quantizer stage does to a weight, read from its plan attributes
// (QuantizerAttributeConfig fields, numerics.md §0): the number format, how amax is laid out,
// rotation, and how amax is obtained. Attributes the runtime cannot apply are rejected here, with
// the location of the offending attribute in the plan.
#pragma once

#include <map>
#include <optional>
#include <stdexcept>
#include <string>

#include "compiler/source.h"
#include "compiler/value.h"
#include "kernels/cpu/numerics.h"

namespace qcfg::runtime {

// An attribute mapping the runtime cannot apply; located at the attribute.
class FormatError : public std::runtime_error {
 public:
  FormatError(SourceLocation loc, const std::string& message)
      : std::runtime_error(message), loc_(loc) {}
  const SourceLocation& loc() const { return loc_; }

 private:
  SourceLocation loc_;
};

enum class FormatKind {
  integer,        // INT2..INT8, per tensor / channel / static block (§2)
  fp8,            // E4M3, per tensor / channel / static block (§3)
  nvfp4_dynamic,  // E2M1, dynamic blocks, E4M3 block scales (§4.2)
  nvfp4_static,   // E2M1, static blocks promoted to two-level scales (§5.2)
  mx,             // MX formats: E8M0 shared exponent, dynamic blocks (§4.1)
};

struct QuantFormat {
  FormatKind kind = FormatKind::integer;
  numerics::IntFormat int_format;
  numerics::MxElement mx_element = numerics::MxElement::e2m1;
  std::optional<int> axis;        // per channel: the kept dim
  std::map<int, int64_t> blocks;  // static or dynamic block sizes by dim (negative: from the end)
  std::optional<int> per_token_kept;  // `{-1: None}` style: the one dim not listed (kept)
  bool four_over_six = false;
  std::optional<float> constant_amax;  // constant_amax, or 448 for use_constant_amax
  // Static NVFP4 weights under algorithm `mse` with `fp8_scale_sweep: true`: the block amax come
  // from ModelOpt's FP8 scale sweep, not from max (set by the runtime, not by attributes).
  bool fp8_scale_sweep = false;
  std::optional<numerics::RotateConfig> rotate;
  SourceLocation loc;  // the attribute mapping in the plan

  // Block size along the last dim (0: none).
  int64_t last_dim_block() const;
  // "NVFP4", "FP8 per-tensor", "INT4 block 128", "MXFP8", ...
  std::string label() const;
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
