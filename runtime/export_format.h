// The unified Hugging Face checkpoint layout (numerics.md §10.1): which `quant_algo` a module
// gets from its weight and input quantizers, and the tensors (names, dtypes, shapes) it writes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/quant_format.h"
#include "runtime/safetensors_writer.h"

namespace qcfg::runtime {

enum class ExportAlgo {
  fp8,                // FP8: per-tensor E4M3
  fp8_per_channel,    // FP8_PER_CHANNEL_PER_TOKEN
  fp8_block,          // fp8_pb_wo: 128x128 blocks
  int8_weight_only,   // W8A16
  int8_smoothquant,   // W8A8_SQ_PER_CHANNEL
  int4_awq,           // W4A16_AWQ
  nvfp4,              // NVFP4
  nvfp4_weight_only,  // W4A16_NVFP4
  mxfp4,              // mxfp4 (raw name)
  mxfp4_fp8,          // W4A8_MXFP4_FP8
  mxfp8,              // MXFP8
};

// "NVFP4", "W4A16_AWQ", "mxfp4", ... as hf_quant_config.json spells them.
std::string algo_name(ExportAlgo a);
// group_size field of hf_quant_config.json (0: none).
int64_t algo_group_size(ExportAlgo a, const QuantFormat& weight);
// Max bound that turns an activation amax into input_scale (0: the algo has no input_scale).
float input_scale_bound(ExportAlgo a);

// The algo of a module whose weight quantizer has `weight` and whose input quantizer is `input`
// (nullopt: disabled). Throws std::invalid_argument saying why there is no export layout.
ExportAlgo export_algo(const QuantFormat& weight, const std::optional<QuantFormat>& input);

// Scale tensor names of parameter `param` of `module`: `weight` -> `<m>.weight_scale`,
// `weight3` (grouped) -> `<m>.weight3_scale`, `gate_up_proj` (fused) ->
// `<m>.gate_up_proj_weight_scale`; `suffix` is "_scale" or "_scale_2".
std::string scale_name(const std::string& module, const std::string& param,
                       const std::string& suffix);
// `<m>.input_scale`, or `<m>.gate_up_proj_input_scale` for a fused parameter.
std::string input_scale_name(const std::string& module, const std::string& param);

// Output tensors of one weight: the packed weight, then its scales. `shape` is [out, in], or
// [E, out, in] for fused experts (per-tensor scales then have one entry per expert). Throws
// std::invalid_argument when the shape does not fit the layout (odd rows for INT4, ...).
std::vector<OutputTensor> export_tensors(ExportAlgo a, const QuantFormat& weight,
                                         const std::string& module, const std::string& param,
                                         const std::vector<int64_t>& shape);

}  // namespace qcfg::runtime
