#include "lint/rules/serving_engines.h"

#include "resolver/fnmatch.h"

namespace qcfg::lint {
namespace {

std::string upper(const std::string& algo) {
  std::string s = algo;
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

std::string as_written(const std::string& algo) { return algo; }

std::string trtllm_alias(const std::string& algo) {
  return algo == "fp8_pb_wo" ? "FP8_BLOCK_SCALES" : algo;
}

// SGLang picks its loader by substring of the upper-cased quant_algo: "FP4" -> the NVFP4 loader,
// "FP8" -> the FP8 loader; an MX checkpoint is read as the other format's tensors.
std::optional<std::string> sglang_misread(const std::string& algo) {
  const std::string u = upper(algo);
  if (u.find("MX") == std::string::npos) return std::nullopt;
  if (u.find("FP4") != std::string::npos) return "SGLang routes it to its NVFP4 loader";
  if (u.find("FP8") != std::string::npos) return "SGLang routes it to its per-tensor FP8 loader";
  return std::nullopt;
}

}  // namespace

const std::vector<ServingEngine>& serving_engines() {
  static const std::vector<ServingEngine> engines = {
      {.id = "vllm",
       .name = "vLLM",
       .quant_algos = {"FP8", "FP8_PER_CHANNEL_PER_TOKEN", "FP8_PB_WO", "NVFP4", "W4A16_NVFP4",
                       "MXFP8", "MIXED_PRECISION"},
       .mixed_layer_algos = {"FP8", "NVFP4", "W4A16_NVFP4", "MXFP8"},
       .kv_algos = {"FP8", "NVFP4"},
       .misread = nullptr,
       .normalize = upper},
      {.id = "trtllm",
       .name = "TensorRT-LLM",
       .quant_algos = {"W8A16", "W4A16", "W4A16_AWQ", "W4A8_AWQ", "W8A16_GPTQ", "W4A16_GPTQ",
                       "W8A8_SQ_PER_CHANNEL", "FP8", "FP8_PER_CHANNEL_PER_TOKEN",
                       "FP8_BLOCK_SCALES", "MIXED_PRECISION", "NVFP4", "W4A8_NVFP4_FP8",
                       "W4A8_MXFP4_FP8", "W4A8_MXFP4_MXFP8", "W4A16_MXFP4", "MXFP8"},
       .mixed_layer_algos = {"W8A16", "W4A16", "W4A16_AWQ", "W4A8_AWQ", "W8A8_SQ_PER_CHANNEL",
                             "FP8", "FP8_PER_CHANNEL_PER_TOKEN", "FP8_BLOCK_SCALES", "NVFP4",
                             "W4A8_NVFP4_FP8", "W4A8_MXFP4_FP8", "W4A16_MXFP4", "MXFP8"},
       .kv_algos = {"FP8", "INT8", "NVFP4"},
       .misread = nullptr,
       .normalize = trtllm_alias},
      {.id = "sglang",
       .name = "SGLang",
       .quant_algos = {"FP8", "FP8_PER_CHANNEL_PER_TOKEN", "NVFP4", "W4A16_NVFP4",
                       "MIXED_PRECISION"},
       .mixed_layer_algos = {"FP8", "NVFP4"},
       .kv_algos = {"FP8"},
       .misread = sglang_misread,
       .normalize = as_written},
  };
  return engines;
}

const ServingEngine* find_serving_engine(const std::string& id) {
  for (const ServingEngine& e : serving_engines())
    if (e.id == id) return &e;
  return nullptr;
}

std::string serving_engine_ids() {
  std::vector<std::string> ids;
  for (const ServingEngine& e : serving_engines()) ids.push_back(e.id);
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

std::optional<std::string> vllm_excluding_pattern(const std::string& prefix,
                                                  const std::vector<std::string>& exclude) {
  std::vector<std::string> rewritten;
  for (const std::string& p : exclude) {
    if (p.size() >= 2 && p.back() == '*' && p[p.size() - 2] != '.') {
      rewritten.push_back(p.substr(0, p.size() - 1));
      rewritten.push_back(p.substr(0, p.size() - 1) + ".*");
    } else {
      rewritten.push_back(p);
    }
  }
  for (const std::string& p : rewritten)
    if (p == prefix || prefix.find(p) != std::string::npos || resolver::fnmatch(prefix, p))
      return p;
  return std::nullopt;
}

}  // namespace qcfg::lint
