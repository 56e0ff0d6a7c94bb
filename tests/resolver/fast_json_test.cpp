// The simdjson fast readers (inventory_fast.h, safetensors_fast.h) against the reference
// (nlohmann) readers: the same result where they read, and no result where they must leave the
// input to the reference (which then reads it or reports it, located).
#include <doctest/doctest.h>

#include <algorithm>

#include "checkpoint/safetensors_fast.h"
#include "compiler/json_writer.h"
#include "resolver/inventory_fast.h"

using namespace qcfg;
using namespace qcfg::resolver;
using namespace qcfg::checkpoint;

namespace {

std::string as_text(const Inventory& inv) { return to_json(inventory_to_value(inv)); }

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

std::string safetensors(const std::string& header, size_t data_bytes) {
  return le64(header.size()) + header + std::string(data_bytes, '\0');
}

}  // namespace

TEST_CASE("fast inventory reader: same inventory as the reference") {
  const std::vector<std::string> texts = {
      R"(["a.weight_quantizer", "", {"name": "b.input_quantizer", "parent_class": null}])",
      R"({"description": "d", "registry_keys": ["hf.X", 3], "modules": [{"name": "m", "class": "nn.Linear"}, 7],
          "quantizers": [{"name": "m.weight_quantizer", "parent_class": "nn.Linear",
            "initial": {"num_bits": [4, 3], "axis": null, "block_sizes": {"-1": 16, "type": "dynamic", "scale_bits": [4, 3]},
                        "bias": {"0": 1, "x": 2}, "scale": 1.5e-3, "unsigned": false, "other": {"-1": 1}},
            "initial_enabled": false, "hard_disabled": null,
            "tensors": [{"name": "m.weight", "dtype": "BF16", "shape": [4, 8], "nbytes": 64,
                         "file": "model.safetensors", "expert_slice": 2, "fused_part": 1, "extra": [1]}],
            "unknown": {"x": [1, 2]}}]})",
      R"({"quantizers": [{"name": "q", "initial": {"a": 1, "a": 2}}]})",  // last value, first place
      "{\"quantizers\": [{\"name\": \"caf\xC3\xA9\\u00e9\\n\"}], \"description\": 5}",
  };
  for (const std::string& text : texts) {
    CAPTURE(text);
    const std::optional<Inventory> fast = inventory_from_json_fast(text, "inv.json");
    REQUIRE(fast.has_value());
    CHECK(as_text(*fast) == as_text(inventory_from_json_reference(text, "inv.json")));
    CHECK(fast->origin == "inv.json");
  }
}

TEST_CASE("fast inventory reader leaves to the reference what it cannot be sure of") {
  const std::vector<std::string> texts = {
      "{\"quantizers\": [1,\n  }",                                          // invalid JSON
      R"([{"nam": 1}])",                                                    // no name
      R"([{"name": ""}])",                                                  // empty name
      R"([{"name": 3}])",                                                   // wrong type
      R"({"quantizers": 3})",                                               // not a list
      R"(5)",                                                               // not an inventory
      R"({"quantizers": [], "quantizers": ["a"]})",                         // repeated key
      R"([{"name": "a", "name": "b"}])",                                    // repeated key
      R"([{"name": "a", "initial": {"block_sizes": {"1": 2, "01": 3}}}])",  // one key as ints
      R"([{"name": "a", "initial": {"x": -0.0}}])",                         // -0
      R"([{"name": "a", "initial": {"x": 18446744073709551615}}])",         // beyond int64
      R"([{"name": "a", "initial": {"bias": {"99999999999999999999": 1}}}])",
      R"([{"name": "a", "tensors": [{"shape": [1.5]}]}])",  // converted by nlohmann
      R"([{"name": "a", "tensors": [3]}])",
      "\xEF\xBB\xBF[\"a\"]",  // byte order mark
  };
  for (const std::string& text : texts) {
    CAPTURE(text);
    CHECK_FALSE(inventory_from_json_fast(text, "inv.json").has_value());
  }
  // The reference then gives the located diagnostic, as before.
  try {
    (void)inventory_from_json_text("{\"quantizers\": [1,\n  }", "bad.json");
    FAIL("accepted");
  } catch (const InventoryError& e) {
    CHECK(e.where() == "bad.json:2:3");
  }
  CHECK(inventory_from_json_text("\xEF\xBB\xBF[\"a\"]", "bom.json").quantizers.at(0).name == "a");
}

TEST_CASE("fast header reader: tensors in name order, anything doubtful left to the reference") {
  const std::string header =
      R"({"b": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
          "__metadata__": {"format": "pt"},
          "a": {"data_offsets": [4, 12], "shape": [2, 1], "dtype": "F32", "extra": null}})";
  const auto fast = header_tensors_fast(header, 12, "s.safetensors");
  REQUIRE(fast.has_value());
  REQUIRE(fast->size() == 2);
  CHECK((*fast)[0].name == "a");
  CHECK((*fast)[0].nbytes == 8);
  CHECK((*fast)[0].shape == std::vector<int64_t>{2, 1});
  CHECK((*fast)[1].file == "s.safetensors");
  // Offsets come back with the tensors (the runtime locates data by them, no second parse).
  CHECK((*fast)[0].data_offset == 4);
  CHECK((*fast)[1].data_offset == 0);
  const SafetensorsHeader h = parse_safetensors_bytes("s.safetensors", safetensors(header, 12));
  CHECK(h.tensors.size() == 2);
  for (const TensorInfo& t : h.tensors) CHECK(t.data_offset == (t.name == "a" ? 4u : 0u));
  const std::vector<std::pair<std::string, uint64_t>> doubtful = {
      {R"({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}})", 3},  // past the data
      {R"({"w": {"dtype": "BF16", "shape": [3], "data_offsets": [0, 4]}})", 4},  // wrong size
      {R"({"w": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 2]}})", 2},
      {R"({"w": {"dtype": "BF16", "shape": [-2], "data_offsets": [0, 4]}})", 4},
      {R"({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 0]}})", 4},
      {R"({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
           "v": {"dtype": "BF16", "shape": [2], "data_offsets": [2, 6]}})",
       6},  // overlap
      {R"({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
           "w": {"dtype": "BF16", "shape": [2], "data_offsets": [4, 8]}})",
       8},  // repeated
      {R"({"w": {"dtype": "BF16",)", 0},
      {R"([1, 2])", 0},
  };
  for (const auto& [text, data] : doubtful) {
    CAPTURE(text);
    CHECK_FALSE(header_tensors_fast(text, data, "s.safetensors").has_value());
  }
  // A repeated name: the reference keeps the last entry, as before.
  const SafetensorsHeader twice =
      parse_safetensors_bytes("s.safetensors", safetensors(doubtful[6].first, 8));
  REQUIRE(twice.tensors.size() == 1);
  CHECK(twice.tensors[0].nbytes == 4);
  CHECK(twice.tensors[0].data_offset == 4);  // the reference reader's offsets
}

TEST_CASE("fast shard index reader: names grouped by shard in name order") {
  const std::string index =
      R"({"metadata": {}, "weight_map": {"z": "b.safetensors", "y": "a.safetensors", "x": "b.safetensors"}})";
  const auto fast = shard_map_fast(index);
  REQUIRE(fast.has_value());
  CHECK(*fast == parse_safetensors_index("i.json", index));
  CHECK(fast->at("b.safetensors") == std::vector<std::string>{"x", "z"});
  for (const char* doubtful :
       {R"({"weight_map": {"x": "../a.safetensors"}})", R"({"weight_map": {"x": 1}})",
        R"({"weight_map": []})", R"({"weight_map": {"x": "a"}, "weight_map": {}})",
        R"({"weight_map": {"x": "a", "x": "b"}})", R"({"weight_map": {)"}) {
    CAPTURE(doubtful);
    CHECK_FALSE(shard_map_fast(doubtful).has_value());
  }
}

// A large index in no order (the two-thread sort and the merge), its names alternating between
// shards as real ones do: grouped as a std::map built here directly says; a name repeated far
// apart (one in each half before the merge) still sends it to the reference.
TEST_CASE("fast shard index reader: a large unsorted index") {
  std::vector<std::pair<std::string, std::string>> pairs;  // tensor, shard
  for (int layer = 0; layer < 61; ++layer)
    for (int e = 0; e < 100; ++e)
      pairs.emplace_back("model.layers." + std::to_string(layer) + ".mlp.experts." +
                             std::to_string(e) + ".up_proj.weight",
                         "model-" + std::to_string((layer * 7 + e) % 13) + ".safetensors");
  // A fixed scramble: every 7919th pair in turn (7919 is prime to the count).
  std::vector<std::pair<std::string, std::string>> scrambled;
  for (size_t k = 0; k < pairs.size(); ++k) scrambled.push_back(pairs[(k * 7919) % pairs.size()]);
  const auto index_text = [](const std::vector<std::pair<std::string, std::string>>& ps) {
    std::string text = R"({"metadata": {"total_size": 1}, "weight_map": {)";
    for (size_t k = 0; k < ps.size(); ++k)
      text += (k ? ", \"" : "\"") + ps[k].first + "\": \"" + ps[k].second + "\"";
    return text + "}}";
  };
  ShardMap expected;
  for (const auto& [tensor, shard] : pairs) expected[shard].push_back(tensor);
  for (auto& [shard, names] : expected) std::sort(names.begin(), names.end());
  const auto fast = shard_map_fast(index_text(scrambled));
  REQUIRE(fast.has_value());
  CHECK(fast->size() == 13);
  CHECK(*fast == expected);
  // Repeated, in another shard: the first pair's name again at the end.
  std::vector<std::pair<std::string, std::string>> repeated = scrambled;
  repeated.emplace_back(scrambled.front().first, "other.safetensors");
  CHECK_FALSE(shard_map_fast(index_text(repeated)).has_value());
  // A shard outside the directory met late still sends it to the reference.
  std::vector<std::pair<std::string, std::string>> outside = scrambled;
  outside.back().second = "../x.safetensors";
  CHECK_FALSE(shard_map_fast(index_text(outside)).has_value());
}
