// QuantizerAttributeConfig fields typed once (shared/spec/numerics.md §0,
// shared/spec/quant_cfg.md): what every consumer branches on (number format, axis, block sizes by
// integer axis, block type, scale bits, rotation, enable, dynamic vs static, constant amax), read
// by one lenient reader. The validator fills QuantizerEntry::attributes with it and the plan reader
// fills PlanStage; lint, the resolver and the runtime read these fields instead of looking keys up
// in a Value.
//
// The reader never throws: lint reads what ModelOpt would reject too, and a field of the wrong
// type reads as absent (its source location and text stay available for messages). A field
// absent from the mapping stays absent (nullopt / false), so a mapping of the fields written in
// the input (cfg_set) reads as exactly what was written. Block-size axes are integers whether the
// mapping came from a config (int keys) or from a plan (JSON string keys "-1").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "compiler/source.h"
#include "compiler/value.h"

namespace qcfg {

// The number format family a mapping names, as qcfg distinguishes them (labels, export, lint).
enum class AttributeFormat {
  none,         // no num_bits, or one of no known shape
  integer,      // int num_bits, not MX
  fp8,          // (4, 3) or (5, 2) without block scales
  float_other,  // another (E, M) element without MX or NVFP4 block scales (FP6, FP4, ...)
  nvfp4,        // (2, 1) with E4M3 (4, 3) block scales, dynamic or static blocks
  mxfp4,        // MX (is_mx) with E2M1 elements
  mxfp6,        // MX with E3M2 / E2M3 elements
  mxfp8,        // MX with E4M3 / E5M2 elements
  mxint8,       // MX with int 8 elements
  mx_other,     // MX with another element
  custom,       // a string num_bits (a custom backend's format)
};

using BitsPair = std::pair<int64_t, int64_t>;  // (exponent, mantissa) bits

// A field's place and text as written, for messages about a value the typed field cannot hold.
struct AttributeField {
  bool present = false;
  SourceLocation loc;
  std::string repr;  // Python repr of the value
};

struct BlockSizesAttributes {
  bool present = false;                             // block_sizes is a mapping
  std::map<int64_t, std::optional<int64_t>> sizes;  // by axis; None (per token) as nullopt
  std::map<int64_t, SourceLocation> axis_locs;      // each axis key, where it was written
  std::optional<std::string> type;                  // block_sizes.type, when a string
  AttributeField type_field;
  std::optional<BitsPair> scale_bits;  // block_sizes.scale_bits, when an (E, M) pair
  AttributeField scale_bits_field;
  bool scale_block_sizes = false;  // scale_block_sizes is set (not None): NF4 double quantization
  bool four_over_six = false;
};

struct RotationAttributes {
  bool enabled = false;      // `rotate: true`, or a RotateConfig with `enable: true`
  bool rotate_back = false;  // RotateConfig mode rotate_back
  std::optional<int64_t> block_size;
  bool fp32 = false;  // rotate_fp32
};

struct QuantizerAttributes {
  std::optional<int64_t> int_bits;         // num_bits as an integer
  std::optional<bool> bool_bits;           // num_bits as a boolean (Python: an int 0 / 1)
  std::optional<BitsPair> float_bits;      // num_bits as an (E, M) pair
  std::optional<std::string> custom_bits;  // num_bits as a string
  AttributeField num_bits_field;
  std::optional<int64_t> axis;  // an int, or the one int of a one-element list
  bool axis_set = false;        // axis is present and not None
  std::optional<bool> enable;
  std::optional<std::string> type;  // the quantizer's `type` ("static", "dynamic")
  bool is_unsigned = false;
  bool narrow_range = false;
  BlockSizesAttributes blocks;
  RotationAttributes rotation;
  bool constant_amax_set = false;       // constant_amax is present and not None
  std::optional<double> constant_amax;  // constant_amax as a number
  bool use_constant_amax = false;
  bool backend_set = false;        // backend is present and not None
  bool bias_set = false;           // bias (affine KV cache quantization) is present and not None
  std::optional<bool> fake_quant;  // fake_quant, when a boolean
  AttributeField fake_quant_field;
  SourceLocation loc;  // the mapping

  // Dynamic quantization (`type: dynamic`): amax from each input, nothing calibrated.
  bool dynamic() const { return type == "dynamic"; }
  // Dynamic blocks: block_sizes.type == "dynamic".
  bool dynamic_blocks() const { return blocks.type == "dynamic"; }
  // MX (ModelOpt 0.47 TensorQuantizer.is_mx_format, shared/spec/numerics.md §5.4): dynamic blocks
  // with E8M0 (8, 0) scales. The one definition in qcfg (docs/plan-format.md, "MX").
  bool is_mx() const { return dynamic_blocks() && blocks.scale_bits == BitsPair(8, 0); }
  // Per token (`{-1: None}` style): block sizes on some axes, all None.
  bool per_token() const;
  // A constant amax replaces calibration (constant_amax set, or use_constant_amax).
  bool has_constant_amax() const { return constant_amax_set || use_constant_amax; }
  // block_sizes[-1] when it is an integer.
  std::optional<int64_t> last_axis_block() const;
  AttributeFormat format() const;
};

QuantizerAttributes read_quantizer_attributes(const Value& attributes);

}  // namespace qcfg
