// checkpoint/name_hash.h: the hash and the open-addressing index of the giant-checkpoint readers.
#include "checkpoint/name_hash.h"

#include <doctest/doctest.h>

#include <string>

namespace qcfg::checkpoint {
namespace {

TEST_CASE("name_hash: an empty view with no data hashes as the empty string") {
  // Found by fuzz_safetensors under UBSan: memcpy from an empty view's null data.
  CHECK(name_hash(std::string_view{}) == name_hash(std::string_view("", 0)));
  CHECK(name_hash("a") != name_hash(""));
}

TEST_CASE("name_hash: every tail length, and names one digit apart differ") {
  const std::string base = "model.layers.12.mlp.experts.3.down_proj.weight";
  for (size_t n = 0; n <= base.size(); ++n) {
    const std::string a = base.substr(0, n);
    CHECK(name_hash(a) == name_hash(std::string(a)));
  }
  CHECK(name_hash("model.layers.12.mlp") != name_hash("model.layers.13.mlp"));
}

TEST_CASE("NameIndex: first value kept, growth keeps every key") {
  NameIndex index(1);
  std::vector<std::string> keys;
  for (int i = 0; i < 1000; ++i) keys.push_back("layer." + std::to_string(i));
  for (uint32_t i = 0; i < keys.size(); ++i) CHECK(index.try_emplace(keys[i], i).second);
  for (uint32_t i = 0; i < keys.size(); ++i) {
    const auto [value, inserted] = index.try_emplace(keys[i], 7777);
    CHECK_FALSE(inserted);
    CHECK(value == i);
  }
  CHECK(index.try_emplace(std::string_view{}, 5).second);
  CHECK(index.try_emplace("", 6).first == 5);
}

}  // namespace
}  // namespace qcfg::checkpoint
