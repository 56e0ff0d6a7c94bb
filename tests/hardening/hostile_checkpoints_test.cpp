// Hostile safetensors checkpoints: `qcfg inventory` reads only the 8-byte length and the JSON
// header, and must reject every malformed one with exit 1 and a `file:line:col` location (the
// byte of the header at fault), within the same hard bounds as the config inputs.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/hardening/run_bounded.h"
#include "tests/hardening/scratch.h"

namespace fs = std::filesystem;
using qcfg::hardening::has_located_error;
using qcfg::hardening::le64;
using qcfg::hardening::Outcome;
using qcfg::hardening::run_bounded;
using qcfg::hardening::safetensors;

namespace {

class Checkpoints {
 public:
  Checkpoints()
      : dir_(fs::temp_directory_path() / ("qcfg-hardening-st-" + std::to_string(::getpid()))) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~Checkpoints() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& bytes) const {
    const fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << bytes;
    return p.string();
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

 private:
  fs::path dir_;
};

void expect_inventory_rejects(const std::string& model, const std::string& located_file,
                              const std::string& fragment) {
  const Outcome r = run_bounded({QCFG_EXE, "inventory", model}, "");
  CAPTURE(model);
  CAPTURE(r.output);
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 1);
  CHECK(has_located_error(r.output, located_file));
  CHECK(r.output.find(fragment) != std::string::npos);
}

void expect_file_rejected(const Checkpoints& c, const std::string& name, const std::string& bytes,
                          const std::string& fragment) {
  const std::string file = c.write(name + ".safetensors", bytes);
  expect_inventory_rejects(file, file, fragment);
}

const char* kTensor = R"("dtype": "BF16", "shape": [2, 2])";

}  // namespace

TEST_CASE("malformed safetensors headers are located errors") {
  Checkpoints c;
  expect_file_rejected(c, "short", "abc", "too short");
  expect_file_rejected(c, "length_beyond_file", le64(1000) + "{}", "exceeds the file size");
  expect_file_rejected(c, "length_max", le64(UINT64_MAX) + "{}", "exceeds the file size");
  expect_file_rejected(c, "bad_json", safetensors(R"({"w": {"dtype": "BF16",)", 0),
                       "not valid JSON");
  expect_file_rejected(c, "not_object", safetensors("[1, 2]", 0), "not a JSON object");
  expect_file_rejected(c, "nul_in_header", safetensors(std::string("{\"w\"\0: 1}", 9), 0),
                       "not valid JSON");
  expect_file_rejected(
      c, "offsets_past_data",
      safetensors(std::string("{\"w\": {") + kTensor + R"(, "data_offsets": [0, 8]}})", 4),
      "run past the data section");
  expect_file_rejected(
      c, "offsets_reversed",
      safetensors(std::string("{\"w\": {") + kTensor + R"(, "data_offsets": [8, 0]}})", 8),
      "reversed");
  expect_file_rejected(
      c, "offsets_huge",
      safetensors(std::string("{\"w\": {") + kTensor +
                      R"(, "data_offsets": [18446744073709551615, 18446744073709551615]}})",
                  8),
      "run past the data section");
  expect_file_rejected(c, "overlap",
                       safetensors(R"({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]},
                                       "b": {"dtype": "BF16", "shape": [2], "data_offsets": [2, 6]}})",
                                   8),
                       "overlaps");
  expect_file_rejected(
      c, "size_mismatch",
      safetensors(std::string("{\"w\": {") + kTensor + R"(, "data_offsets": [0, 6]}})", 8),
      "does not match dtype");
  expect_file_rejected(
      c, "shape_overflow",
      safetensors(
          R"({"w": {"dtype": "F64", "shape": [4294967296, 4294967296], "data_offsets": [0, 0]}})",
          0),
      "overflows 64 bits");
  // 2^60 F64 elements are 2^66 bits: the bit count wraps to 0 and used to match an empty range.
  expect_file_rejected(
      c, "shape_overflow_wraps_to_zero",
      safetensors(
          R"({"w": {"dtype": "F64", "shape": [1152921504606846976], "data_offsets": [0, 0]}})", 0),
      "overflows 64 bits");
  expect_file_rejected(
      c, "shape_negative",
      safetensors(R"({"w": {"dtype": "BF16", "shape": [-2], "data_offsets": [0, 4]}})", 8),
      "is invalid");
  expect_file_rejected(
      c, "shape_above_int64",
      safetensors(
          R"({"w": {"dtype": "BF16", "shape": [9223372036854775808, 0], "data_offsets": [0, 0]}})",
          0),
      "is invalid");
  expect_file_rejected(
      c, "unknown_dtype",
      safetensors(R"({"w": {"dtype": "Q9", "shape": [2], "data_offsets": [0, 2]}})", 2),
      "unknown dtype");
}

TEST_CASE("a header above 100 MB is refused without reading it") {
  Checkpoints c;
  const std::string file = c.write("big.safetensors", le64(150'000'000) + "{");
  fs::resize_file(file, 200'000'000);  // sparse: no disk space used
  expect_inventory_rejects(file, file, "100 MB");
}

TEST_CASE("a sharded index may only name shards inside the checkpoint directory") {
  Checkpoints c;
  c.write("outside.safetensors",
          safetensors(std::string("{\"w\": {") + kTensor + R"(, "data_offsets": [0, 8]}})", 8));
  const std::vector<std::pair<std::string, std::string>> shards = {
      {"dotdot", "../outside.safetensors"},
      {"absolute", c.path("outside.safetensors")},
      {"nested_dotdot", "sub/../../outside.safetensors"},
  };
  for (const auto& [name, shard] : shards) {
    CAPTURE(name);
    const std::string index =
        c.write(name + "/model.safetensors.index.json",
                "{\"metadata\": {},\n \"weight_map\": {\"w\": \"" + shard + "\"}}\n");
    expect_inventory_rejects(c.path(name), index, "not a file inside the checkpoint directory");
  }
  const std::string bad_json =
      c.write("bad_index/model.safetensors.index.json", "{\"weight_map\": [");
  expect_inventory_rejects(c.path("bad_index"), bad_json, "invalid JSON");
  const std::string not_object = c.write("list_index/model.safetensors.index.json", "[1]");
  expect_inventory_rejects(c.path("list_index"), not_object, "missing `weight_map`");
}

TEST_CASE("config.json is read bounded: malformed is located, a device is refused") {
  Checkpoints c;
  const std::string model =
      safetensors(std::string("{\"w.weight\": {") + kTensor + R"(, "data_offsets": [0, 8]}})", 8);
  c.write("bad_config/model.safetensors", model);
  const std::string config =
      c.write("bad_config/config.json", "{\"architectures\": [\n  \"X\",,]}");
  expect_inventory_rejects(c.path("bad_config"), config, "invalid JSON");
  c.write("device_config/model.safetensors", model);
  fs::create_symlink("/dev/zero", c.path("device_config/config.json"));
  const Outcome r = run_bounded({QCFG_EXE, "inventory", c.path("device_config")}, "");
  CAPTURE(r.output);
  CHECK_FALSE(r.timed_out);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("config.json") != std::string::npos);
}

// The shard index is read by the one bounded reader (checkpoint/bounded_file.h): before it, the
// resolver's copy did not check the file type and blocked on a FIFO.
TEST_CASE("a shard index that is a FIFO or a device is refused, not read forever") {
  Checkpoints c;
  fs::create_directories(c.path("fifo_index"));
  REQUIRE(::mkfifo(c.path("fifo_index/model.safetensors.index.json").c_str(), 0600) == 0);
  fs::create_directories(c.path("dev_index"));
  fs::create_symlink("/dev/zero", c.path("dev_index/model.safetensors.index.json"));
  for (const char* dir : {"fifo_index", "dev_index"}) {
    const Outcome r = run_bounded({QCFG_EXE, "inventory", c.path(dir)}, "");
    CAPTURE(r.output);
    CHECK_FALSE(r.timed_out);
    CHECK(r.signal == 0);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("model.safetensors.index.json: error: not a regular file") !=
          std::string::npos);
  }
}

TEST_CASE("an inventory file that is a device is refused, not read forever") {
  Checkpoints c;
  fs::create_directories(c.path("dev"));
  fs::create_symlink("/dev/zero", c.path("dev/inventory.json"));
  const Outcome r = run_bounded({QCFG_EXE, "inventory", c.path("dev/inventory.json")}, "");
  CAPTURE(r.output);
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("not a regular file") != std::string::npos);
}
