// Test support: tiny generated checkpoints (deterministic pseudo-random BF16 weights), recipes,
// running the qcfg binary, and reading tensors back as floats.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "runtime/checkpoint.h"
#include "tests/run_command.h"

namespace qcfg::test {

namespace fs = std::filesystem;

struct GenTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::string dtype = "BF16";
  float scale = 1.0f;  // every value multiplied by it (a power of two keeps them exact)
};

// Writes `tensors` into `dir` (one file, or `shards` files with an index) plus config.json and a
// tokenizer.json to be copied. Values: row r scaled by 2^(r % 5 - 2), so amax differ per row.
void write_checkpoint(const fs::path& dir, const std::vector<GenTensor>& tensors, int shards = 1,
                      const std::string& config = R"({"architectures": ["LlamaForCausalLM"]})");

// A scratch directory removed at the end of the test.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  fs::path path(const std::string& name) const { return dir_ / name; }
  std::string write(const std::string& name, const std::string& text) const;

 private:
  fs::path dir_;
};

// The device the runs use: the CPU in CI; QCFG_TEST_DEVICE=cuda on a GPU machine checks the CUDA
// path against the same CPU reference (tools/gpu/runtime.sh).
std::string test_device();

// `qcfg ARGS`, stdout and stderr together.
Run qcfg(const std::string& args);

// Tensor values widened to fp32 (BF16/F16/F32), or raw bytes.
std::vector<float> floats(const runtime::TensorRef& t);
std::vector<uint8_t> bytes(const runtime::TensorRef& t);
// Output tensor `name` must exist and hold exactly `expected` (doctest checks).
void check_bytes(const runtime::Checkpoint& out, const std::string& name,
                 const std::vector<uint8_t>& expected);

// Dense Llama-like layer, per-expert MoE linears, fused 3-D experts, grouped weight0..N.
std::vector<GenTensor> llama_like();
std::vector<GenTensor> fused_experts();
std::vector<GenTensor> grouped_experts(int experts, int skip = -1);
// Sibling linears (q/k/v, BERT query/key/value, gate/up, per-expert gate/up, Mixtral w1/w3) with
// clearly different amaxes, beside linears that have no siblings (o_proj, down_proj, w2,
// attention.output.dense).
std::vector<GenTensor> sibling_linears();

// A quantize config that disables everything, then applies `weight_cfg` (a YAML flow mapping)
// to every weight quantizer except embeddings and lm_head.
std::string weight_only_config(const std::string& weight_cfg);

}  // namespace qcfg::test
