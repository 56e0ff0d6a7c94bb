#include "bench/model_shapes.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace qcfg::bench {
namespace {

using resolver::Inventory;

void add_linear(Inventory& inv, const std::string& module, const char* parent = "nn.Linear") {
  for (const char* leaf : {"weight_quantizer", "input_quantizer", "output_quantizer"})
    inv.quantizers.push_back({module + "." + leaf, parent, {}, {}, {}, {}});
}

void add_mlp(Inventory& inv, const std::string& prefix) {
  for (const char* proj : {"gate_proj", "up_proj", "down_proj"}) add_linear(inv, prefix + proj);
}

}  // namespace

Inventory moe_inventory(const MoeShape& shape) {
  Inventory inv;
  inv.origin = shape.origin;
  add_linear(inv, "model.embed_tokens", "nn.Embedding");
  for (int l = 0; l < shape.layers; ++l) {
    const std::string layer = "model.layers." + std::to_string(l) + ".";
    for (const char* proj : {"q_a_proj", "q_b_proj", "kv_a_proj_with_mqa", "kv_b_proj", "o_proj"})
      add_linear(inv, layer + "self_attn." + proj);
    for (const char* bmm : {"q_bmm_quantizer", "k_bmm_quantizer", "v_bmm_quantizer"})
      inv.quantizers.push_back(
          {layer + "self_attn." + bmm, "hf.DeepseekV3Attention", {}, {}, {}, {}});
    if (l < shape.dense_layers) {
      add_mlp(inv, layer + "mlp.");
      continue;
    }
    add_linear(inv, layer + "mlp.gate");
    for (int e = 0; e < shape.routed_experts; ++e)
      add_mlp(inv, layer + "mlp.experts." + std::to_string(e) + ".");
    add_mlp(inv, layer + "mlp.shared_experts.");
  }
  add_linear(inv, "lm_head");
  return inv;
}

namespace {

struct Tensor {
  std::string name;
  const char* dtype;
  std::vector<int64_t> shape;
};

int64_t bytes_of(const Tensor& t) {
  int64_t n = std::string(t.dtype) == "F32" ? 4 : std::string(t.dtype) == "BF16" ? 2 : 1;
  for (int64_t d : t.shape) n *= d;
  return n;
}

// An FP8 linear as DeepSeek ships it: the weight and its 128x128-block inverse scales.
void fp8_linear(std::vector<Tensor>& out, const std::string& module, int64_t rows, int64_t cols) {
  out.push_back({module + ".weight", "F8_E4M3", {rows, cols}});
  out.push_back({module + ".weight_scale_inv", "F32", {(rows + 127) / 128, (cols + 127) / 128}});
}

std::vector<Tensor> deepseek_v3_tensors() {
  constexpr int64_t kHidden = 7168, kQRank = 1536, kKvRank = 512, kHeads = 128, kRope = 64,
                    kNope = 128, kV = 128, kMoeInter = 2048, kInter = 18432, kVocab = 129280;
  std::vector<Tensor> t;
  t.push_back({"model.embed_tokens.weight", "BF16", {kVocab, kHidden}});
  for (int l = 0; l < kDeepseekV3.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    t.push_back({p + "input_layernorm.weight", "BF16", {kHidden}});
    t.push_back({p + "post_attention_layernorm.weight", "BF16", {kHidden}});
    fp8_linear(t, p + "self_attn.q_a_proj", kQRank, kHidden);
    t.push_back({p + "self_attn.q_a_layernorm.weight", "BF16", {kQRank}});
    fp8_linear(t, p + "self_attn.q_b_proj", kHeads * (kNope + kRope), kQRank);
    fp8_linear(t, p + "self_attn.kv_a_proj_with_mqa", kKvRank + kRope, kHidden);
    t.push_back({p + "self_attn.kv_a_layernorm.weight", "BF16", {kKvRank}});
    fp8_linear(t, p + "self_attn.kv_b_proj", kHeads * (kNope + kV), kKvRank);
    fp8_linear(t, p + "self_attn.o_proj", kHidden, kHeads * kV);
    auto mlp = [&](const std::string& m, int64_t inter) {
      fp8_linear(t, m + "gate_proj", inter, kHidden);
      fp8_linear(t, m + "up_proj", inter, kHidden);
      fp8_linear(t, m + "down_proj", kHidden, inter);
    };
    if (l < kDeepseekV3.dense_layers) {
      mlp(p + "mlp.", kInter);
      continue;
    }
    t.push_back({p + "mlp.gate.weight", "BF16", {kDeepseekV3.routed_experts, kHidden}});
    t.push_back({p + "mlp.gate.e_score_correction_bias", "F32", {kDeepseekV3.routed_experts}});
    for (int e = 0; e < kDeepseekV3.routed_experts; ++e)
      mlp(p + "mlp.experts." + std::to_string(e) + ".", kMoeInter);
    mlp(p + "mlp.shared_experts.", kMoeInter);
  }
  t.push_back({"model.norm.weight", "BF16", {kHidden}});
  t.push_back({"lm_head.weight", "BF16", {kVocab, kHidden}});
  return t;
}

std::string json_string(const std::string& s) { return "\"" + s + "\""; }  // plain ASCII names

// One shard: 8-byte header length, the JSON header padded with spaces to 8 bytes, data as a hole.
size_t write_shard(const std::string& path, const std::vector<const Tensor*>& tensors) {
  std::string header = R"({"__metadata__":{"format":"pt"})";
  int64_t offset = 0;
  for (const Tensor* t : tensors) {
    std::string shape;
    for (int64_t d : t->shape) shape += (shape.empty() ? "" : ",") + std::to_string(d);
    const int64_t end = offset + bytes_of(*t);
    header += fmt::format(R"(,{}:{{"dtype":"{}","shape":[{}],"data_offsets":[{},{}]}})",
                          json_string(t->name), t->dtype, shape, offset, end);
    offset = end;
  }
  header += "}";
  while (header.size() % 8) header += ' ';
  std::ofstream out(path, std::ios::binary);
  uint64_t n = header.size();
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  out.close();
  if (truncate(path.c_str(), static_cast<off_t>(8 + header.size() + offset)) != 0)
    throw std::runtime_error("cannot size " + path);
  return header.size();
}

}  // namespace

size_t write_deepseek_v3_checkpoint(const std::string& dir, int shards) {
  namespace fs = std::filesystem;
  if (fs::exists(dir)) throw std::runtime_error(dir + " exists");
  fs::create_directories(dir);
  const std::vector<Tensor> tensors = deepseek_v3_tensors();
  std::string weight_map;
  size_t header_bytes = 0;
  const size_t per_shard = (tensors.size() + shards - 1) / shards;
  for (int s = 0; s < shards; ++s) {
    const std::string file = fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards);
    std::vector<const Tensor*> part;
    for (size_t i = s * per_shard; i < std::min(tensors.size(), (s + 1) * per_shard); ++i) {
      part.push_back(&tensors[i]);
      weight_map += (weight_map.empty() ? "\n    " : ",\n    ") + json_string(tensors[i].name) +
                    ": " + json_string(file);
    }
    header_bytes += write_shard((fs::path(dir) / file).string(), part);
  }
  std::ofstream(fs::path(dir) / "model.safetensors.index.json")
      << "{\n  \"metadata\": {\"total_size\": 0},\n  \"weight_map\": {" << weight_map
      << "\n  }\n}\n";
  std::ofstream(fs::path(dir) / "config.json")
      << R"({"architectures": ["DeepseekV3ForCausalLM"], "model_type": "deepseek_v3",)"
      << R"( "transformers_version": "4.46.3", "vocab_size": 129280})"
      << "\n";
  return header_bytes;
}

}  // namespace qcfg::bench
