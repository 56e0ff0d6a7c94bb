// Quantizer attribute mappings as the resolver stores them: a full QuantizerAttributeConfig
// mapping (declaration order, defaults filled in) without the `enable` field, which the
// resolver keeps as a separate flag.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "compiler/value.h"

namespace qcfg::resolver {

// QuantizerAttributeConfig() without `enable`: INT8, per-tensor, static, max calibrator, ...
Value default_attributes();

// `partial` (a mapping of some QAC fields) laid over the defaults; `enable` is dropped.
Value attributes_with(const Value& partial);

// A full cfg mapping (schema cfg_full item) as stored on a quantizer: `enable` removed, and
// `pass_through_bwd` forced true for MX formats (ModelOpt does so after every set).
Value stored_attributes(const Value& cfg_full);

// The attribute fields that consumers branch on, read by one lenient reader: it never throws
// (lint reads what ModelOpt would reject too), and a field of the wrong type reads as absent.
// Block-size axes are integers whether the mapping came from a config (int keys) or from a plan
// (JSON string keys "-1"). Number formats proper are resolver::FormatSpec (quant_format.h).
struct QuantizerAttributes {
  std::string type = "static";                            // the quantizer's `type`
  std::map<int64_t, std::optional<int64_t>> blocks;       // block_sizes by axis (None: per token)
  std::optional<std::string> block_type;                  // block_sizes.type
  std::optional<std::pair<int64_t, int64_t>> scale_bits;  // block_sizes.scale_bits
  bool has_block_sizes = false;                           // block_sizes is a mapping
  bool constant_amax = false;                             // constant_amax set or use_constant_amax
  struct Rotation {
    bool enabled = false;
    bool rotate_back = false;  // mode rotate_back
    std::optional<int64_t> block_size;
  } rotation;  // `rotate: true` is mode rotate, enabled

  // block_sizes[-1] when it is an integer.
  std::optional<int64_t> last_axis_block() const;
  // MX: dynamic blocks with E8M0 (8, 0) scales.
  bool mx() const;
};
QuantizerAttributes read_quantizer_attributes(const Value& attributes);

// MX format: block_sizes.type == "dynamic" and block_sizes.scale_bits == (8, 0).
bool is_mx_format(const Value& attributes);

// ModelOpt's `disable_rotate()`: a RotateConfig mapping gets `enable: false`, anything else
// becomes `false`. Returns whether the attributes changed.
bool disable_rotate(Value& attributes);

// A short human label of the number format ("NVFP4", "FP8 E4M3", "INT4 block 128", ...).
std::string format_label(const Value& attributes);

}  // namespace qcfg::resolver
