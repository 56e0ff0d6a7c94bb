// What a unified Hugging Face export writes for a plan (shared/spec/numerics.md §10.1, §10.8):
// the `quant_algo` a module gets from its weight and input quantizers, its group size, the KV
// cache algorithm of the k/v BMM quantizers, and ModelOpt's `exclude_modules` summary. One table
// used by the runtime's export (runtime/export_format.*, runtime/hf_config.*) and by lint's
// serving-engine rules, so lint predicts exactly what `qcfg apply --mode export_hf` writes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
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

// The export layout of each algo, in one table (resolver::export_algo_table): its name and
// group size in hf_quant_config.json, the bound that turns an input amax into input_scale, the
// tensors a weight writes, the packer, and what config.json and amax unification make of it.
// A new layout is one row; tests/runtime/export_table_test.cpp checks every consumer against it.
enum class GroupSize { none, weight_block, fixed_32 };  // hf group_size: 0, the weight's block, 32
enum class CodesShape { same, half_rows, half_cols };   // [out, in], [out/2, in], [out, in/2]
// weight_scale: [] per tensor, [out], [out/128, 1, in/128, 1], [out, in/group].
enum class ScaleShape { per_tensor, per_row, tiles_128, per_group };
enum class PackKind { fp8, int8, int4, nvfp4, mxfp4, mxfp8 };  // the packer (runtime/compute.cpp)
// config.json config_groups (compressed-tensors style): none, weights, weights and inputs.
enum class ConfigGroup { none, weights, weights_and_inputs };

struct ExportOutputs {
  const char* codes_dtype;  // safetensors dtype of the packed weight
  CodesShape codes;
  const char* scale_dtype;  // of weight_scale
  ScaleShape scale;
  int64_t scale_group;  // per_group: the group along in-features (0: the weight's block)
  bool global_scale;    // weight_scale_2 (F32, one per tensor)
};

struct ExportAlgoInfo {
  ExportAlgo algo;
  const char* hf_name;  // quant_algo, as hf_quant_config.json spells it
  GroupSize group_size;
  float input_bound;  // max bound of input_scale = amax / bound (0: no input_scale)
  ExportOutputs outputs;
  PackKind pack;
  bool awq_flags;  // layer config has has_zero_point: false, pre_quant_scale: true
  ConfigGroup config_group;
  int config_num_bits;  // num_bits of a config group
  bool unify_siblings;  // fused siblings share amax (ModelOpt's requantize_resmooth skips FP8)
};

// Every algo, in ExportAlgo order.
const std::vector<ExportAlgoInfo>& export_algo_table();
const ExportAlgoInfo& export_algo_info(ExportAlgo a);
// The row whose hf_name is `name`; nullptr for none (MIXED_PRECISION, names qcfg never writes).
const ExportAlgoInfo* export_algo_named(std::string_view name);

// "NVFP4", "W4A16_AWQ", "mxfp4", ... as hf_quant_config.json spells them.
std::string algo_name(ExportAlgo a);
// group_size field of hf_quant_config.json (0: none).
int64_t algo_group_size(ExportAlgo a, const FormatSpec& weight);
// The group along in-features of a per_group weight_scale (0: other shapes).
int64_t scale_group(ExportAlgo a, const FormatSpec& weight);

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
