// Quantizer name transformations used by matching.
#pragma once

#include <string>
#include <string_view>

namespace qcfg::resolver {

// ModelOpt's `_normalize_fused_experts_quantizer_name`: every match of
// `(weight_quantizers?|input_quantizers?)\.\d+(?=$|\.)` becomes the base word without a trailing
// `s` (`experts.down_proj_weight_quantizers.3` -> `experts.down_proj_weight_quantizer`,
// `q_proj.weight_quantizer.0` -> `q_proj.weight_quantizer`). `\d` is taken as ASCII digits.
std::string normalize_fused_experts_name(std::string_view name);

// The name with every maximal run of ASCII digits replaced by one '#'
// (`model.layers.17.mlp.experts.203.up_proj` -> `model.layers.#.mlp.experts.#.up_proj`). A pattern
// that does not distinguish digits (GlobPattern::distinguishes_digits) gives the same answer for a
// name and its shape, because only a `*` can consume a digit or a '#'.
std::string name_shape(std::string_view name);
// The same appended to `out` (no allocation once `out` has room).
void append_name_shape(std::string& out, std::string_view name);

}  // namespace qcfg::resolver
