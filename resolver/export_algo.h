// What a unified Hugging Face export writes for a plan (shared/spec/numerics.md §10.1, §10.8):
// the `quant_algo` a module gets from its weight and input quantizers, its group size, the KV
// cache algorithm of the k/v BMM quantizers, and ModelOpt's `exclude_modules` summary. One table
// used by the runtime's export (runtime/export_format.*, runtime/hf_config.*) and by lint's
// serving-engine rules, so lint predicts exactly what `qcfg apply --mode export_hf` writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "compiler/value.h"
#include "resolver/quant_format.h"

namespace qcfg::resolver {

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
int64_t algo_group_size(ExportAlgo a, const FormatSpec& weight);

// The algo of a module whose weight quantizer has `weight` and whose input quantizer is `input`
// (nullopt: disabled). Throws std::invalid_argument saying why there is no export layout.
ExportAlgo export_algo(const FormatSpec& weight, const std::optional<FormatSpec>& input);

// kv_cache_quant_algo of a k/v BMM quantizer with these attributes: "FP8", "INT8", "NVFP4",
// "NVFP4_AFFINE"; empty when its format gives none.
std::string kv_cache_algo(const QuantizerAttributes& attributes);
// Whether `quantizer` is a k/v BMM quantizer ("...k_bmm_quantizer", "...v_bmm_quantizer").
bool is_kv_bmm_quantizer(const std::string& quantizer);

// The top-level quant_algo of a checkpoint whose quantized modules have these distinct
// per-layer (algo, group size) configs: the one algo, or MIXED_PRECISION for more than one
// (then the checkpoint lists `quantized_layers` and no `exclude_modules`).
bool is_mixed_precision(size_t distinct_layer_configs);
inline constexpr const char* kMixedPrecision = "MIXED_PRECISION";

// ModelOpt's prefix-wildcard summary of the unquantized module names: per name, the most general
// `prefix*` (or `prefix.*`) at a '.' that matches no quantized module, else the name itself;
// layers stay numbered (["lm_head", "model.layers.0.self_attn*", ...]); sorted.
std::vector<std::string> exclude_patterns(const std::vector<std::string>& unquantized,
                                          const std::vector<std::string>& quantized);

}  // namespace qcfg::resolver
