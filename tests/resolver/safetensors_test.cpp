#include <doctest/doctest.h>

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "resolver/checkpoint_inventory.h"
#include "tests/resolver/helpers.h"

using namespace qcfg;
using namespace qcfg::resolver;
using namespace qcfg::checkpoint;
using qcfg::test::temp_dir;
using qcfg::test::write_file;

namespace {

struct FakeTensor {
  std::string name;
  std::string dtype;
  std::vector<int64_t> shape;
};

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// A valid file: header + zero-filled data, tensors laid out one after another.
std::string safetensors_bytes(const std::vector<FakeTensor>& tensors) {
  nlohmann::json header = nlohmann::json::object();
  uint64_t offset = 0;
  for (const FakeTensor& t : tensors) {
    uint64_t numel = 1;
    for (int64_t d : t.shape) numel *= static_cast<uint64_t>(d);
    const uint64_t bytes = numel * dtype_bits(t.dtype) / 8;
    header[t.name] = {
        {"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  header["__metadata__"] = {{"format", "pt"}};
  const std::string text = header.dump();
  return le64(text.size()) + text + std::string(offset, '\0');
}

std::string raw_file(const std::string& header_text, size_t data_bytes) {
  return le64(header_text.size()) + header_text + std::string(data_bytes, '\0');
}

const InventoryQuantizer* find(const Inventory& inv, const std::string& name) {
  for (const InventoryQuantizer& q : inv.quantizers)
    if (q.name == name) return &q;
  return nullptr;
}

std::vector<FakeTensor> dense_layer(const std::string& p) {
  return {{p + ".self_attn.q_proj.weight", "BF16", {8, 8}},
          {p + ".self_attn.k_proj.weight", "BF16", {4, 8}},
          {p + ".self_attn.v_proj.weight", "BF16", {4, 8}},
          {p + ".self_attn.o_proj.weight", "BF16", {8, 8}},
          {p + ".mlp.gate_proj.weight", "BF16", {16, 8}},
          {p + ".mlp.up_proj.weight", "BF16", {16, 8}},
          {p + ".mlp.down_proj.weight", "BF16", {8, 16}},
          {p + ".input_layernorm.weight", "BF16", {8}}};
}

}  // namespace

TEST_CASE("dense checkpoint: linears, embedding, attention BMM quantizers, RMSNorm skipped") {
  const std::string dir = temp_dir("dense");
  std::vector<FakeTensor> tensors = {{"model.embed_tokens.weight", "BF16", {64, 8}},
                                     {"model.norm.weight", "BF16", {8}},
                                     {"lm_head.weight", "BF16", {64, 8}}};
  for (int layer : {0, 1, 10, 2}) {
    auto more = dense_layer("model.layers." + std::to_string(layer));
    tensors.insert(tensors.end(), more.begin(), more.end());
  }
  write_file(dir + "/model.safetensors", safetensors_bytes(tensors));
  write_file(dir + "/config.json", R"({"architectures": ["LlamaForCausalLM"], "vocab_size": 64})");
  const Inventory inv = load_inventory(dir);

  const InventoryQuantizer* emb = find(inv, "model.embed_tokens.input_quantizer");
  REQUIRE(emb);
  CHECK(emb->parent_class == "nn.Embedding");
  const InventoryQuantizer* q = find(inv, "model.layers.0.self_attn.q_proj.weight_quantizer");
  REQUIRE(q);
  CHECK(q->parent_class == "nn.Linear");
  REQUIRE(q->tensors.size() == 1);
  CHECK(q->tensors[0].dtype == "BF16");
  CHECK(q->tensors[0].shape == std::vector<int64_t>{8, 8});
  CHECK(q->tensors[0].nbytes == 128);
  const InventoryQuantizer* bmm = find(inv, "model.layers.0.self_attn.k_bmm_quantizer");
  REQUIRE(bmm);
  CHECK(bmm->parent_class == "hf.LlamaAttention");
  CHECK(find(inv, "model.layers.0.input_layernorm.input_quantizer") == nullptr);
  CHECK(find(inv, "lm_head.output_quantizer") != nullptr);
  // Natural order: layer 2 before layer 10, lm_head last.
  size_t i2 = 0, i10 = 0;
  for (size_t i = 0; i < inv.quantizers.size(); ++i) {
    if (inv.quantizers[i].name.rfind("model.layers.2.", 0) == 0 && !i2) i2 = i;
    if (inv.quantizers[i].name.rfind("model.layers.10.", 0) == 0 && !i10) i10 = i;
  }
  CHECK(i2 < i10);
  CHECK(inv.quantizers.back().name.rfind("lm_head.", 0) == 0);
}

TEST_CASE("sharded MoE checkpoint: fused experts, per-expert linears, grouped weights") {
  const std::string dir = temp_dir("moe");
  std::vector<FakeTensor> shard1 = {{"model.layers.0.mlp.experts.gate_up_proj", "BF16", {4, 32, 8}},
                                    {"model.layers.0.mlp.experts.down_proj", "BF16", {4, 8, 16}},
                                    {"model.layers.0.mlp.gate.weight", "BF16", {4, 8}}};
  std::vector<FakeTensor> shard2 = {
      {"model.layers.1.mlp.experts.0.up_proj.weight", "F8_E4M3", {16, 8}},
      {"model.layers.1.mlp.experts.1.up_proj.weight", "F8_E4M3", {16, 8}},
      {"model.layers.1.mlp.grouped.weight0", "BF16", {8, 8}},
      {"model.layers.1.mlp.grouped.weight1", "BF16", {8, 8}},
      {"conv.weight", "F32", {4, 3, 3, 3}}};
  write_file(dir + "/a.safetensors", safetensors_bytes(shard1));
  write_file(dir + "/b.safetensors", safetensors_bytes(shard2));
  nlohmann::json index = {{"weight_map", nlohmann::json::object()}};
  for (const auto& t : shard1) index["weight_map"][t.name] = "a.safetensors";
  for (const auto& t : shard2) index["weight_map"][t.name] = "b.safetensors";
  write_file(dir + "/model.safetensors.index.json", index.dump());
  write_file(dir + "/config.json", R"({"architectures": ["Qwen3MoeForCausalLM"]})");
  const Inventory inv = load_inventory(dir);

  const auto* in = find(inv, "model.layers.0.mlp.experts.gate_up_proj_input_quantizer");
  REQUIRE(in);
  CHECK(in->parent_class == "hf.Qwen3MoeExperts");
  const auto* e3 = find(inv, "model.layers.0.mlp.experts.down_proj_weight_quantizers.3");
  REQUIRE(e3);
  CHECK_FALSE(e3->parent_class.has_value());
  REQUIRE(e3->tensors.size() == 1);
  CHECK(e3->tensors[0].expert_slice == 3);
  CHECK(e3->tensors[0].nbytes == 8 * 16 * 2);
  CHECK(find(inv, "model.layers.0.mlp.experts.down_proj_weight_quantizers.4") == nullptr);
  const auto* per_expert = find(inv, "model.layers.1.mlp.experts.1.up_proj.weight_quantizer");
  REQUIRE(per_expert);
  CHECK(per_expert->tensors[0].dtype == "F8_E4M3");
  const auto* grouped = find(inv, "model.layers.1.mlp.grouped.weight_quantizer");
  REQUIRE(grouped);
  CHECK(grouped->tensors.size() == 2);
  const auto* conv = find(inv, "conv.weight_quantizer");
  REQUIRE(conv);
  CHECK(conv->parent_class == "nn.Conv2d");
}

TEST_CASE("index naming a tensor its shard lacks is an error") {
  const std::string dir = temp_dir("missing");
  write_file(dir + "/a.safetensors", safetensors_bytes({{"x.weight", "BF16", {2, 2}}}));
  write_file(dir + "/model.safetensors.index.json",
             R"({"weight_map": {"x.weight": "a.safetensors", "y.weight": "a.safetensors"}})");
  CHECK_THROWS_WITH_AS(load_inventory(dir), doctest::Contains("'y.weight'"), InventoryError);
}

std::vector<std::string> quantizer_names(const Inventory& inv) {
  std::vector<std::string> names;
  for (const InventoryQuantizer& q : inv.quantizers) names.push_back(q.name);
  return names;
}

// An inventory of 4x4 BF16 tensors with these names, as read from one shard.
static Inventory inventory_of_bf16_weights(const std::vector<std::string>& names) {
  std::vector<TensorInfo> tensors;
  for (const std::string& n : names) {
    TensorInfo t;
    t.name = n;
    t.dtype = "BF16";
    t.shape = {4, 4};
    tensors.push_back(t);
  }
  return inventory_from_tensors(tensors, std::nullopt, "test");
}

TEST_CASE("tensor names sort naturally: numbers by value, known modules by rank") {
  const Inventory inv = inventory_of_bf16_weights(
      {"model.layers.10.mlp.up_proj.weight", "lm_head.weight",
       "model.layers.9.self_attn.q_proj.weight", "model.layers.9.mlp.up_proj.weight",
       "model.layers.10.mlp.gate_proj.weight", "model.embed_tokens.weight",
       "model.layers.2.zeta.weight", "model.layers.2.alpha.weight"});
  std::vector<std::string> weights;
  for (const std::string& n : quantizer_names(inv))
    if (n.size() > 17 && n.compare(n.size() - 17, 17, ".weight_quantizer") == 0)
      weights.push_back(n.substr(0, n.size() - 17));
  CHECK(weights == std::vector<std::string>{
                       "model.embed_tokens", "model.layers.2.alpha", "model.layers.2.zeta",
                       "model.layers.9.self_attn.q_proj", "model.layers.9.mlp.up_proj",
                       "model.layers.10.mlp.gate_proj", "model.layers.10.mlp.up_proj", "lm_head"});
}

// Names of at most 8 segments sort by packed keys; one longer name sends the whole sort through
// the sequence comparator. Both must give the same order, prefixes and trailing dots included.
TEST_CASE("natural order: packed keys and the sequence comparator agree") {
  std::vector<std::string> names = {"model.layers.10.mlp.experts.3.up_proj.weight",
                                    "model.layers.10.mlp.experts.12.w.weight",
                                    "model.layers.2.mlp.experts.3.up_proj.weight",
                                    "model.layers.2.self_attn.q_proj.weight",
                                    "model.layers.2.mlp.weight",
                                    "model.layers.2.mlp.gate.weight",
                                    "model.layers.2..x.weight",
                                    "model.layers.2.mlp.experts.weight",
                                    "lm_head.weight",
                                    "a.weight",
                                    "model.norm.weight",
                                    "model.embed_tokens.weight"};
  const auto weights_in_order = [](const Inventory& inv) {
    std::vector<std::string> out;
    for (const std::string& n : quantizer_names(inv))
      if (n.size() > 17 && n.compare(n.size() - 17, 17, ".weight_quantizer") == 0)
        out.push_back(n.substr(0, n.size() - 17));
    return out;
  };
  const std::vector<std::string> packed = weights_in_order(inventory_of_bf16_weights(names));
  CHECK(packed.front() == "a");
  CHECK(packed.back() == "lm_head");
  names.push_back("z.a.b.c.d.e.f.g.weight");  // 9 segments
  std::vector<std::string> compared = weights_in_order(inventory_of_bf16_weights(names));
  const auto z = std::find(compared.begin(), compared.end(), "z.a.b.c.d.e.f.g");
  REQUIRE(z != compared.end());
  CHECK(z + 1 == compared.end() - 1);  // before lm_head (rank 1000), after the rest
  compared.erase(z);
  CHECK(compared == packed);
}

// Segment ids are taken from the previous name where the two names agree up to a dot: names
// that agree on bytes across a segment boundary ("m.a.b" / "m.ab") must still be cut apart.
TEST_CASE("natural order: neighbours agreeing on bytes but not on segments") {
  const Inventory inv = inventory_of_bf16_weights(
      {"m.ab.weight", "m.a.weight", "m.a.b.weight", "m.ab.c.weight", "m.a.bc.weight"});
  std::vector<std::string> weights;
  for (const std::string& n : quantizer_names(inv))
    if (n.size() > 17 && n.compare(n.size() - 17, 17, ".weight_quantizer") == 0)
      weights.push_back(n.substr(0, n.size() - 17));
  // "b" < "bc" < "weight" (alphabetical, one rank), then "a" < "ab".
  CHECK(weights == std::vector<std::string>{"m.a.b", "m.a.bc", "m.a", "m.ab.c", "m.ab"});
}

// Many tensors: the order is known by construction, and segments first met late (`zz_L`,
// `solo_L`, given last) get their places as well (the packed-key sort and the segment ids reused
// from the previous name must not depend on the order segments are first seen). The expected list is in natural order; the input is scrambled.
TEST_CASE("natural order of many tensors, segments first met late") {
  std::vector<std::string> expected, late;
  for (int layer = 0; layer < 12; ++layer) {
    const std::string p = "model.layers." + std::to_string(layer) + ".";
    for (int e = 0; e < 150; ++e)
      for (const char* proj : {"gate_proj", "up_proj", "down_proj"})  // by rank
        expected.push_back(p + "mlp.experts." + std::to_string(e) + "." + proj);
    late.push_back(p + "solo_" + std::to_string(layer));
    late.push_back(p + "zz_" + std::to_string(layer));
    expected.push_back(late[late.size() - 2]);
    expected.push_back(late.back());
  }
  std::vector<std::string> names;
  const size_t n = expected.size() - late.size();
  for (size_t k = 0; k < expected.size(); ++k) {  // experts scrambled, the late ones at the end
    const std::string& name = expected[(k * 7919) % expected.size()];
    if (name.find("experts") != std::string::npos) names.push_back(name + ".weight");
  }
  REQUIRE(names.size() == n);
  for (auto it = late.rbegin(); it != late.rend(); ++it) names.push_back(*it + ".weight");
  REQUIRE(names.size() > 4096);
  std::vector<std::string> weights;
  for (const std::string& q : quantizer_names(inventory_of_bf16_weights(names)))
    if (q.size() > 17 && q.compare(q.size() - 17, 17, ".weight_quantizer") == 0)
      weights.push_back(q.substr(0, q.size() - 17));
  CHECK(weights == expected);
}

TEST_CASE("segments without a total order (9 < 10 < 1a < 9) still sort every tensor once") {
  const Inventory inv =
      inventory_of_bf16_weights({"m.1a.weight", "m.10.weight", "m.9.weight", "m.2.weight"});
  std::vector<std::string> names = quantizer_names(inv);
  CHECK(names.size() == 12);
  std::sort(names.begin(), names.end());
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(find(inv, "m.1a.weight_quantizer") != nullptr);
}

TEST_CASE("sharded: an index listing part of a shard, in another order; errors in shard order") {
  const std::string dir = temp_dir("partial");
  write_file(dir + "/a.safetensors", safetensors_bytes({{"x.weight", "BF16", {2, 2}},
                                                        {"extra.weight", "BF16", {2, 2}},
                                                        {"w.weight", "BF16", {2, 2}}}));
  write_file(dir + "/b.safetensors", safetensors_bytes({{"y.weight", "BF16", {2, 2}}}));
  write_file(dir + "/model.safetensors.index.json",
             R"({"weight_map": {"x.weight": "a.safetensors", "w.weight": "a.safetensors",
                                "y.weight": "b.safetensors"}})");
  const Inventory inv = load_inventory(dir);
  CHECK(find(inv, "x.weight_quantizer") != nullptr);
  CHECK(find(inv, "w.weight_quantizer") != nullptr);
  CHECK(find(inv, "y.weight_quantizer") != nullptr);
  CHECK(find(inv, "extra.weight_quantizer") == nullptr);
  REQUIRE(find(inv, "y.weight_quantizer")->tensors.size() == 1);
  CHECK(find(inv, "y.weight_quantizer")->tensors[0].file == "b.safetensors");

  // Shard a lacks a listed tensor and shard b is not a safetensors file: a's error comes first,
  // as reading the shards one after another meets it, though both are read at once.
  write_file(dir + "/b.safetensors", "short");
  write_file(dir + "/model.safetensors.index.json",
             R"({"weight_map": {"x.weight": "a.safetensors", "v.weight": "a.safetensors",
                                "y.weight": "b.safetensors"}})");
  CHECK_THROWS_WITH_AS(load_inventory(dir), doctest::Contains("'v.weight'"), InventoryError);
  write_file(dir + "/model.safetensors.index.json",
             R"({"weight_map": {"x.weight": "a.safetensors", "y.weight": "b.safetensors"}})");
  CHECK_THROWS_WITH_AS(load_inventory(dir), doctest::Contains("b.safetensors"), InventoryError);
}

TEST_CASE("malformed safetensors headers are rejected with the file and tensor named") {
  const std::string dir = temp_dir("bad");
  auto expect_error = [&](const std::string& bytes, const char* fragment) {
    const std::string path = dir + "/model.safetensors";
    write_file(path, bytes);
    CAPTURE(fragment);
    CHECK_THROWS_WITH_AS(read_safetensors_header(path), doctest::Contains(fragment),
                         InventoryError);
    CHECK_THROWS_WITH_AS(read_safetensors_header(path), doctest::Contains("model.safetensors"),
                         InventoryError);
  };
  expect_error("abc", "too short");
  expect_error(le64(1000) + "{}", "exceeds the file size");
  expect_error(raw_file("{\"x\": ", 0), "not valid JSON");
  expect_error(raw_file("[1, 2]", 0), "not a JSON object");
  expect_error(raw_file(R"({"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 8]}})", 4),
               "run past the data section");
  expect_error(raw_file(R"({"w": {"dtype": "BF16", "shape": [2, 2], "data_offsets": [0, 6]}})", 8),
               "does not match dtype");
  expect_error(raw_file(R"({"w": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 2]}})", 8),
               "unknown dtype");
  expect_error(raw_file(R"({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 0]}})", 8),
               "reversed");
  expect_error(raw_file(R"({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
                           "b": {"dtype": "BF16", "shape": [2], "data_offsets": [2, 6]}})",
                        8),
               "overlaps");
  expect_error(raw_file(R"({"w": {"dtype": "BF16", "shape": [-2], "data_offsets": [0, 4]}})", 8),
               "tensor 'w'");
}

TEST_CASE("JSON inventory: list and object forms, optional fields") {
  Inventory a = inventory_from_json_text(
      R"([{"name": "fc.weight_quantizer", "parent_class": "nn.Linear"}])", "a.json");
  REQUIRE(a.quantizers.size() == 1);
  CHECK(a.quantizers[0].parent_class == "nn.Linear");
  Inventory b = inventory_from_json_text(
      R"({"quantizers": [{"name": "x.input_quantizer", "parent_class": null, "initial": {"num_bits": 4, "block_sizes": {"-1": 16}}, "initial_enabled": false}],
          "modules": [{"name": "x", "class": "MyMod"}], "registry_keys": ["hf.Foo"]})",
      "b.json");
  REQUIRE(b.quantizers.size() == 1);
  CHECK_FALSE(b.quantizers[0].parent_class.has_value());
  REQUIRE(b.quantizers[0].initial.has_value());
  const Value* bs = b.quantizers[0].initial->find("block_sizes");
  REQUIRE(bs);
  CHECK(bs->entries()[0].key.is_int());  // "-1" read back as the integer axis
  CHECK(b.modules[0].class_key == "MyMod");
  CHECK(b.registry_keys == std::vector<std::string>{"hf.Foo"});
  CHECK_THROWS_AS(inventory_from_json_text("{\"nope\": 1}", "c.json"), InventoryError);
  CHECK_THROWS_AS(inventory_from_json_text("[{\"parent_class\": \"nn.Linear\"}]", "d.json"),
                  InventoryError);
}

TEST_CASE("dtype sizes: every safetensors dtype, nothing else") {
  const std::pair<const char*, int> expected[] = {
      {"BOOL", 8},    {"U8", 8},   {"I8", 8},   {"F8_E5M2", 8}, {"F8_E4M3", 8},
      {"F8_E8M0", 8}, {"I16", 16}, {"U16", 16}, {"F16", 16},    {"BF16", 16},
      {"I32", 32},    {"U32", 32}, {"F32", 32}, {"F64", 64},    {"I64", 64},
      {"U64", 64},    {"C64", 64}, {"F4", 4},   {"F6_E2M3", 6}, {"F6_E3M2", 6}};
  for (const auto& [name, bits] : expected) {
    CAPTURE(name);
    CHECK(dtype_bits(name) == bits);
  }
  for (const char* other : {"", "bf16", "BF1", "BF166", "F8", "F8_E4M3 ", "F6", "C128"})
    CHECK(dtype_bits(other) == 0);
}
