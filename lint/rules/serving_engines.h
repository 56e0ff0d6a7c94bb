// What each serving engine accepts of a ModelOpt unified checkpoint (`--target`), as its loader
// reads hf_quant_config.json (shared/spec/conventions.md C4): the quant_algo and KV algorithm
// names it loads, and how it matches `exclude_modules` against its module names. Facts from the
// engines' sources: vLLM vllm/model_executor/layers/quantization/modelopt.py (QUANT_ALGOS,
// KV_CACHE_QUANT_ALGOS, is_layer_excluded, apply_vllm_mapper), TensorRT-LLM
// tensorrt_llm/quantization/mode.py (QuantAlgo, KV_CACHE_QUANT_ALGO_LIST) and
// modelopt_config.py (the fp8_pb_wo alias), SGLang
// python/sglang/srt/layers/quantization/modelopt_quant.py (routing by substring of quant_algo).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace qcfg::lint {

struct ServingEngine {
  std::string id;    // "vllm", "trtllm", "sglang" (--target)
  std::string name;  // "vLLM", "TensorRT-LLM", "SGLang"
  // quant_algo values it loads (after its own normalization: vLLM upper-cases, TensorRT-LLM maps
  // fp8_pb_wo to FP8_BLOCK_SCALES).
  std::vector<std::string> quant_algos;
  // Per-layer algorithms it loads under MIXED_PRECISION (empty: MIXED_PRECISION not loaded).
  std::vector<std::string> mixed_layer_algos;
  std::vector<std::string> kv_algos;
  // Why an algo it does not list fails there: nullopt for a plain refusal, else how it is
  // misread (SGLang routes every quant_algo containing "FP4" to its NVFP4 loader).
  std::optional<std::string> (*misread)(const std::string& algo) = nullptr;
  // The name this engine compares with its lists (vLLM: upper case, TensorRT-LLM: alias).
  std::string (*normalize)(const std::string& algo) = nullptr;
};

const std::vector<ServingEngine>& serving_engines();
// By id; null when unknown.
const ServingEngine* find_serving_engine(const std::string& id);
// "vllm, trtllm, sglang".
std::string serving_engine_ids();

// vLLM's exclusion test of module `prefix` against exclude_modules after its rewrite of `foo*`
// into `foo` and `foo.*`: an exact name, a substring, or an fnmatch match. Returns the rewritten
// pattern that excludes it, or nullopt.
std::optional<std::string> vllm_excluding_pattern(const std::string& prefix,
                                                  const std::vector<std::string>& exclude_modules);

}  // namespace qcfg::lint
