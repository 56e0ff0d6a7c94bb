#include "checkpoint_gen.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "kernels/cpu/storage.h"
#include "runtime/safetensors_writer.h"

namespace qcfg::test {
namespace {

std::vector<uint8_t> generate(const GenTensor& t, uint32_t seed) {
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  const int64_t cols = t.shape.empty() ? 1 : t.shape.back();
  std::vector<uint8_t> out;
  uint32_t state = seed * 2654435761u + 12345u;
  for (int64_t i = 0; i < n; ++i) {
    state = state * 1664525u + 1013904223u;
    const float unit = static_cast<float>(state >> 8) / 16777216.0f * 2.0f - 1.0f;
    const float v = std::ldexp(unit, static_cast<int>((i / cols) % 5) - 2) * t.scale;
    if (t.dtype == "F32") {
      uint8_t b[4];
      std::memcpy(b, &v, 4);
      out.insert(out.end(), b, b + 4);
    } else {
      const uint16_t bits =
          t.dtype == "F16" ? numerics::float_to_half_bits(v) : numerics::float_to_bf16_bits(v);
      out.push_back(static_cast<uint8_t>(bits & 0xff));
      out.push_back(static_cast<uint8_t>(bits >> 8));
    }
  }
  return out;
}

}  // namespace

void write_checkpoint(const fs::path& dir, const std::vector<GenTensor>& tensors, int shards,
                      const std::string& config) {
  fs::create_directories(dir);
  nlohmann::json index = {{"metadata", {{"total_size", 0}}},
                          {"weight_map", nlohmann::json::object()}};
  for (int s = 0; s < shards; ++s) {
    const std::string file = shards == 1 ? "model.safetensors"
                                         : "model-0000" + std::to_string(s + 1) + "-of-0000" +
                                               std::to_string(shards) + ".safetensors";
    std::vector<runtime::OutputTensor> list;
    std::vector<const GenTensor*> mine;
    for (size_t i = 0; i < tensors.size(); ++i) {
      if (static_cast<int>(i % static_cast<size_t>(shards)) != s) continue;
      list.push_back({tensors[i].name, tensors[i].dtype, tensors[i].shape});
      mine.push_back(&tensors[i]);
      index["weight_map"][tensors[i].name] = file;
    }
    runtime::SafetensorsWriter w((dir / file).string(), list);
    for (size_t i = 0; i < mine.size(); ++i) {
      const auto data =
          generate(*mine[i], static_cast<uint32_t>(std::hash<std::string>{}(mine[i]->name)));
      w.write(i, data.data(), data.size());
    }
    w.close();
  }
  if (shards > 1) std::ofstream(dir / "model.safetensors.index.json") << index.dump(2);
  std::ofstream(dir / "config.json") << config;
  std::ofstream(dir / "tokenizer.json") << R"({"version": "1.0"})";
}

Scratch::Scratch()
    : dir_(fs::temp_directory_path() /
           ("qcfg-rt-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<uintptr_t>(this) & 0xffffff))) {
  fs::create_directories(dir_);
}

Scratch::~Scratch() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string Scratch::write(const std::string& name, const std::string& text) const {
  std::ofstream(dir_ / name) << text;
  return (dir_ / name).string();
}

std::string test_device() {
  const char* d = std::getenv("QCFG_TEST_DEVICE");
  return d != nullptr && *d != 0 ? d : "cpu";
}

Run qcfg(const std::string& args) {
  return run_command(std::string(QCFG_EXE) + " " + args + " 2>&1");
}

std::vector<float> floats(const runtime::TensorRef& t) {
  std::vector<float> out;
  const int size = runtime::float_dtype_size(t.dtype);
  REQUIRE(size > 0);
  for (uint64_t i = 0; i < t.nbytes; i += static_cast<uint64_t>(size)) {
    if (size == 4) {
      float v;
      std::memcpy(&v, t.data + i, 4);
      out.push_back(v);
    } else {
      const uint16_t bits = static_cast<uint16_t>(t.data[i] | (t.data[i + 1] << 8));
      out.push_back(t.dtype == "F16" ? numerics::half_bits_to_float(bits)
                                     : numerics::bf16_bits_to_float(bits));
    }
  }
  return out;
}

std::vector<uint8_t> bytes(const runtime::TensorRef& t) { return {t.data, t.data + t.nbytes}; }

void check_bytes(const runtime::Checkpoint& out, const std::string& name,
                 const std::vector<uint8_t>& expected) {
  CAPTURE(name);
  const runtime::TensorRef* t = out.find(name);
  REQUIRE(t != nullptr);
  CHECK(bytes(*t) == expected);
}

std::vector<GenTensor> llama_like() {
  std::vector<GenTensor> t = {{"model.embed_tokens.weight", {64, 32}},
                              {"lm_head.weight", {64, 32}}};
  const std::string p = "model.layers.0.";
  for (const char* n : {"q_proj", "k_proj", "v_proj", "o_proj"})
    t.push_back({p + "self_attn." + n + ".weight", {32, 32}});
  t.push_back({p + "mlp.gate_proj.weight", {64, 32}});
  t.push_back({p + "mlp.up_proj.weight", {64, 32}});
  t.push_back({p + "mlp.down_proj.weight", {32, 64}});
  for (int e = 0; e < 2; ++e)
    t.push_back({p + "block_sparse_moe.experts." + std::to_string(e) + ".w1.weight", {64, 32}});
  t.push_back({p + "input_layernorm.weight", {32}});
  return t;
}

std::vector<GenTensor> fused_experts() {
  return {{"model.layers.0.mlp.experts.gate_up_proj", {4, 64, 32}},
          {"model.layers.0.mlp.experts.down_proj", {4, 32, 32}},
          {"model.layers.0.input_layernorm.weight", {32}}};
}

std::vector<GenTensor> grouped_experts(int experts, int skip) {
  std::vector<GenTensor> t;
  for (int e = 0; e < experts; ++e)
    if (e != skip)
      t.push_back({"decoder.layers.0.mlp.experts.linear_fc1.weight" + std::to_string(e), {64, 32}});
  t.push_back({"decoder.layers.0.input_layernorm.weight", {32}});
  return t;
}

std::vector<GenTensor> sibling_linears() {
  const std::string a = "model.layers.0.self_attn.", m = "model.layers.0.mlp.";
  std::vector<GenTensor> t = {{a + "q_proj.weight", {32, 32}, "BF16", 1.0f},
                              {a + "k_proj.weight", {32, 32}, "BF16", 4.0f},
                              {a + "v_proj.weight", {32, 32}, "BF16", 0.25f},
                              {a + "o_proj.weight", {32, 32}, "BF16", 2.0f},
                              {m + "gate_proj.weight", {64, 32}, "BF16", 0.5f},
                              {m + "up_proj.weight", {64, 32}, "BF16", 8.0f},
                              {m + "down_proj.weight", {32, 64}, "BF16", 1.0f}};
  for (int e = 0; e < 2; ++e) {
    const std::string x = "model.layers.1.mlp.experts." + std::to_string(e) + ".";
    t.push_back({x + "gate_proj.weight", {64, 32}, "BF16", e == 0 ? 2.0f : 0.125f});
    t.push_back({x + "up_proj.weight", {64, 32}, "BF16", e == 0 ? 0.5f : 1.0f});
    t.push_back({x + "down_proj.weight", {32, 64}, "BF16", 1.0f});
  }
  const std::string b = "model.layers.1.block_sparse_moe.experts.0.";
  t.push_back({b + "w1.weight", {64, 32}, "BF16", 0.25f});
  t.push_back({b + "w2.weight", {32, 64}, "BF16", 4.0f});
  t.push_back({b + "w3.weight", {64, 32}, "BF16", 2.0f});
  const std::string bert = "encoder.layer.0.attention.";
  t.push_back({bert + "self.query.weight", {32, 32}, "BF16", 1.0f});
  t.push_back({bert + "self.key.weight", {32, 32}, "BF16", 0.5f});
  t.push_back({bert + "self.value.weight", {32, 32}, "BF16", 4.0f});
  t.push_back({bert + "output.dense.weight", {32, 32}, "BF16", 8.0f});
  t.push_back({"model.layers.0.input_layernorm.weight", {32}});
  return t;
}

std::string weight_only_config(const std::string& weight_cfg) {
  return "algorithm: max\nquant_cfg:\n"
         "  - {quantizer_name: '*', enable: false}\n"
         "  - {quantizer_name: '*weight_quantizer', cfg: " +
         weight_cfg +
         "}\n"
         "  - {quantizer_name: '*weight_quantizers*', cfg: " +
         weight_cfg +
         "}\n"
         "  - {quantizer_name: '*embed_tokens*', enable: false}\n"
         "  - {quantizer_name: '*lm_head*', enable: false}\n";
}

}  // namespace qcfg::test
