// Quantizer attribute mappings as the resolver stores them: a full QuantizerAttributeConfig
// mapping (declaration order, defaults filled in) without the `enable` field, which the
// resolver keeps as a separate flag.
#pragma once

#include <string>

#include "compiler/value.h"
#include "schema/quantizer_attributes.h"

namespace qcfg::resolver {

// QuantizerAttributeConfig() without `enable`: INT8, per-tensor, static, max calibrator, ...
Value default_attributes();

// `partial` (a mapping of some QAC fields) laid over the defaults; `enable` is dropped.
Value attributes_with(const Value& partial);

// A full cfg mapping (schema cfg_full item) as stored on a quantizer: `enable` removed, and
// `pass_through_bwd` forced true for MX formats (ModelOpt does so after every set).
Value stored_attributes(const Value& cfg_full);

// MX format: QuantizerAttributes::is_mx() of the mapping (schema/quantizer_attributes.h).
bool is_mx_format(const Value& attributes);

// ModelOpt's `disable_rotate()`: a RotateConfig mapping gets `enable: false`, anything else
// becomes `false`. Returns whether the attributes changed.
bool disable_rotate(Value& attributes);

// The one human label of a number format, used by plans' text summaries, explain, diff, the
// runtime and the Python package ("NVFP4", "FP8 per-tensor", "INT4 block 128", "MXFP8", ...;
// docs/plan-format.md lists them).
std::string format_label(const QuantizerAttributes& attributes);
std::string format_label(const Value& attributes);

}  // namespace qcfg::resolver
