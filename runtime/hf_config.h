// hf_quant_config.json and the `quantization_config` of config.json for an exported checkpoint
// (shared/spec/numerics.md §10.8; shared/spec/conventions.md C4: what vLLM, TensorRT-LLM and SGLang
// read).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "resolver/export_algo.h"
#include "runtime/prepare.h"

namespace qcfg::runtime {

using OrderedJson = nlohmann::ordered_json;

using resolver::exclude_patterns;  // resolver/export_algo.h, shared with lint

// {"producer": ..., "quantization": {quant_algo, kv_cache_quant_algo, group_size?,
// has_zero_point? pre_quant_scale?, exclude_modules | quantized_layers}}; null when nothing is
// quantized (no file is written).
OrderedJson hf_quant_config(const Prepared& p, const std::string& producer_version);

// The flat `quantization_config` embedded in config.json, derived from hf_quant_config.
OrderedJson config_quantization(const OrderedJson& hf_quant_config);

}  // namespace qcfg::runtime
