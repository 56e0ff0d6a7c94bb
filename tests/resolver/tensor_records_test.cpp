// The light records of a sharded checkpoint (checkpoint/tensor_records.h) against the reference
// path (read_checkpoint_files + indexed_tensors): the same inventory, tensor details included,
// when the records are taken, and the reference's result or error whenever they decline.
#include <doctest/doctest.h>

#include <cstdio>
#include <nlohmann/json.hpp>

#include "compiler/json_writer.h"
#include "resolver/checkpoint_inventory.h"
#include "tests/resolver/helpers.h"

using namespace qcfg;
using namespace qcfg::resolver;
using namespace qcfg::checkpoint;
using qcfg::test::temp_dir;
using qcfg::test::write_file;

namespace {

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// A shard whose header is `entries` written as given (order, repeats), data zero-filled.
std::string shard(const std::string& entries, size_t data_bytes) {
  const std::string header = "{\"__metadata__\":{\"format\":\"pt\"}" + entries + "}";
  return le64(header.size()) + header + std::string(data_bytes, '\0');
}

std::string entry(const std::string& name, const std::string& shape, uint64_t begin, uint64_t end,
                  const std::string& dtype = "BF16") {
  return ",\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + shape +
         "],\"data_offsets\":[" + std::to_string(begin) + "," + std::to_string(end) + "]}";
}

std::string as_text(const Inventory& inv) { return to_json(inventory_to_value(inv)); }

Inventory reference(const std::string& dir) {
  return inventory_from_tensors(indexed_tensors(read_checkpoint_files(dir)),
                                read_checkpoint_config(dir), dir);
}

// The tensors of moe_checkpoint's first shard (464 bytes of data), to which a case adds one.
std::string first_shard_entries() {
  return entry("model.layers.10.self_attn.k_proj.weight", "2,8", 32, 64) +
         entry("model.layers.10.self_attn.v_proj.weight", "2,8", 0, 32) +
         entry("model.embed_tokens.weight", "16,8", 64, 320) +
         entry("model.norm.weight", "8", 320, 336) +
         entry("lm_head.weight", "16,8", 336, 464, "F8_E4M3");
}

// A two-shard MoE checkpoint, headers and index out of byte order, with scales, a fused experts
// parameter, grouped weights and an attention module (config names the architecture).
std::string moe_checkpoint(const std::string& tag) {
  const std::string dir = temp_dir(tag);
  write_file(dir + "/b-2.safetensors",
             shard(entry("model.layers.10.self_attn.q_proj.weight", "4,8", 0, 64) +
                       entry("model.layers.10.self_attn.q_proj.weight_scale_inv", "1", 64, 66) +
                       entry("model.layers.2.mlp.experts.gate_up_proj", "2,8,4", 66, 194) +
                       entry("model.layers.2.mlp.grouped.weight1", "2,2", 194, 202) +
                       entry("model.layers.2.mlp.grouped.weight0", "2,2", 202, 210),
                   210));
  write_file(dir + "/a-1.safetensors", shard(first_shard_entries(), 464 + 128));
  nlohmann::json index = {{"metadata", {{"total_size", 0}}},
                          {"weight_map", nlohmann::json::object()}};
  for (const char* n : {"model.layers.10.self_attn.q_proj.weight",
                        "model.layers.10.self_attn.q_proj.weight_scale_inv",
                        "model.layers.2.mlp.experts.gate_up_proj",
                        "model.layers.2.mlp.grouped.weight1", "model.layers.2.mlp.grouped.weight0"})
    index["weight_map"][n] = "b-2.safetensors";
  for (const char* n :
       {"model.layers.10.self_attn.k_proj.weight", "model.layers.10.self_attn.v_proj.weight",
        "model.embed_tokens.weight", "model.norm.weight", "lm_head.weight"})
    index["weight_map"][n] = "a-1.safetensors";
  write_file(dir + "/model.safetensors.index.json", index.dump());
  write_file(dir + "/config.json",
             R"({"architectures": ["Qwen3MoeForCausalLM"], "vocab_size": 16})");
  return dir;
}

}  // namespace

TEST_CASE("records of a usual sharded checkpoint: the reference's inventory, tensors included") {
  const std::string dir = moe_checkpoint("records");
  RecordedTensors records;
  REQUIRE(read_indexed_records(dir, records));
  CHECK(records.tensors.size() == 10);
  const Inventory inv = load_inventory(dir);
  CHECK(as_text(inv) == as_text(reference(dir)));
  // The weights carry their shard, shape, offset and dtype as the reference reads them.
  bool seen_lm_head = false;
  for (const InventoryQuantizer& q : inv.quantizers) {
    if (q.name != "lm_head.weight_quantizer") continue;
    seen_lm_head = true;
    REQUIRE(q.tensors.size() == 1);
    CHECK(q.tensors[0].file == "a-1.safetensors");
    CHECK(q.tensors[0].dtype == "F8_E4M3");
    CHECK(q.tensors[0].shape == std::vector<int64_t>{16, 8});
    CHECK(q.tensors[0].data_offset == 336);
    CHECK(q.tensors[0].nbytes == 128);
  }
  CHECK(seen_lm_head);
}

TEST_CASE("records decline what the reference must judge; the result is the reference's") {
  const std::string dir = moe_checkpoint("decline");
  const std::string index_path = dir + "/model.safetensors.index.json";
  RecordedTensors records;

  SUBCASE("a header tensor the index does not list") {
    write_file(dir + "/a-1.safetensors",
               shard(first_shard_entries() + entry("unlisted.weight", "4,4", 464, 496), 496));
    CHECK_FALSE(read_indexed_records(dir, records));
    const Inventory inv = load_inventory(dir);
    CHECK(as_text(inv) == as_text(reference(dir)));
    CHECK(as_text(inv).find("unlisted") == std::string::npos);
  }
  SUBCASE("an index tensor its shard lacks: the reference's located error") {
    write_file(
        index_path,
        R"({"weight_map": {"lm_head.weight": "a-1.safetensors", "gone.weight": "a-1.safetensors"}})");
    CHECK_FALSE(read_indexed_records(dir, records));
    CHECK_THROWS_WITH_AS(load_inventory(dir), doctest::Contains("'gone.weight'"), InventoryError);
  }
  SUBCASE("a tensor listed under two shards (a repeated key: the last one holds)") {
    write_file(index_path, R"({"weight_map": {"lm_head.weight": "b-2.safetensors",
                                              "model.norm.weight": "a-1.safetensors",
                                              "lm_head.weight": "a-1.safetensors"}})");
    CHECK_FALSE(read_indexed_records(dir, records));
    const Inventory inv = load_inventory(dir);
    CHECK(as_text(inv) == as_text(reference(dir)));
    CHECK(as_text(inv).find("lm_head.weight_quantizer") != std::string::npos);
  }
  SUBCASE("a header naming a tensor twice") {
    write_file(dir + "/a-1.safetensors",
               shard(first_shard_entries() + entry("model.norm.weight", "8", 464, 480), 480));
    CHECK_FALSE(read_indexed_records(dir, records));
    CHECK(as_text(load_inventory(dir)) == as_text(reference(dir)));
  }
  SUBCASE("empty tensors starting where another tensor starts") {
    write_file(dir + "/a-1.safetensors",
               shard(entry("model.layers.10.self_attn.k_proj.weight", "2,8", 32, 64) +
                         entry("model.layers.10.self_attn.v_proj.weight", "2,8", 0, 32) +
                         entry("model.embed_tokens.weight", "16,8", 64, 320) +
                         entry("model.norm.weight", "0", 320, 320) +
                         entry("lm_head.weight", "16,8", 320, 448, "F8_E4M3"),
                     448));
    CHECK_FALSE(read_indexed_records(dir, records));
    CHECK(as_text(load_inventory(dir)) == as_text(reference(dir)));
  }
  SUBCASE("a shard outside the directory, a header the reference rejects, no index") {
    write_file(index_path, R"({"weight_map": {"lm_head.weight": "../a-1.safetensors"}})");
    CHECK_FALSE(read_indexed_records(dir, records));
    CHECK_THROWS_AS(load_inventory(dir), InventoryError);
    write_file(index_path, R"({"weight_map": {"lm_head.weight": "a-1.safetensors"}})");
    write_file(dir + "/a-1.safetensors",
               shard(entry("lm_head.weight", "16,8", 0, 100, "F8_E4M3"), 128));
    RecordedTensors again;
    CHECK_FALSE(read_indexed_records(dir, again));
    CHECK_THROWS_WITH_AS(load_inventory(dir), doctest::Contains("a-1.safetensors:1:"),
                         InventoryError);
    std::remove(index_path.c_str());
    RecordedTensors none;
    CHECK_FALSE(read_indexed_records(dir, none));
  }
}

TEST_CASE("records of TensorInfos: take moves the one viewed, info copies") {
  std::vector<TensorInfo> tensors(1);
  tensors[0].name = "a.long.enough.name.to.live.on.the.heap.weight";
  tensors[0].dtype = "BF16";
  tensors[0].shape = {3, 5};
  tensors[0].nbytes = 30;
  tensors[0].file = "shard.safetensors";
  tensors[0].data_offset = 7;
  const std::vector<TensorRecord> records = records_of(tensors);
  REQUIRE(records.size() == 1);
  CHECK(records[0].name == tensors[0].name);
  CHECK(records[0].shape().size() == 2);
  const TensorInfo copy = records[0].info();
  CHECK(copy.name == tensors[0].name);
  CHECK(copy.shape == tensors[0].shape);
  CHECK(copy.file == "shard.safetensors");
  CHECK(copy.data_offset == 7);
  const TensorInfo taken = records[0].take();
  CHECK(taken.name == copy.name);
  CHECK(taken.nbytes == 30);
  CHECK(tensors[0].shape.empty());  // moved out
}
