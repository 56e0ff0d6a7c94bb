// Every hostile input is rejected by the qcfg binary with exit 1 and a located error, inside
// hard CPU, wall-clock and memory bounds (run_bounded.h). Inputs are the files of inputs/ plus
// generated ones (too large or too repetitive to commit: nesting, size, import graphs, symlinks,
// safetensors headers).
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/hardening/run_bounded.h"
#include "tests/hardening/scratch.h"

namespace fs = std::filesystem;
using qcfg::hardening::has_file_error;
using qcfg::hardening::has_located_error;
using qcfg::hardening::Outcome;
using qcfg::hardening::run_bounded;
using Scratch = qcfg::hardening::ScratchDir;

namespace {

const std::string kInputs = QCFG_HARDENING_INPUTS;
const std::string kListSchema =
    "# modelopt-schema: modelopt.torch.quantization.config.QuantizerCfgListConfig\n";

// `qcfg ARGS...` in `cwd` must exit 1 with a located error about `file` (any file when empty:
// an import error points into the imported file) naming `expected` (a rule id such as
// "[yaml-limit]" or a message fragment).
void expect_rejected(const std::vector<std::string>& args, const std::string& file,
                     const std::string& expected, const std::string& cwd = "") {
  std::vector<std::string> argv = {QCFG_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  const Outcome r = run_bounded(argv, cwd);
  CAPTURE(file);
  CAPTURE(r.output);
  CHECK_FALSE(r.timed_out);
  CHECK(r.signal == 0);
  CHECK(r.exit_code == 1);
  CHECK(has_located_error(r.output, file));
  CHECK(r.output.find(expected) != std::string::npos);
}

void expect_check_rejects(const std::string& file, const std::string& expected,
                          const std::string& cwd = "") {
  expect_rejected({"check", file}, file, expected, cwd);
}

// The same where the error may be located in an imported file.
void expect_import_rejected(const std::string& top, const std::string& expected,
                            const std::string& cwd) {
  expect_rejected({"check", top}, "", expected, cwd);
}

Outcome run_qcfg(const std::vector<std::string>& args, const std::string& cwd = "") {
  std::vector<std::string> argv = {QCFG_EXE};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_bounded(argv, cwd);
}

std::string repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

}  // namespace

TEST_CASE("YAML and JSON bombs fail fast at the reader's limits") {
  expect_check_rejects(kInputs + "/billion_laughs.yaml", "[yaml-limit]");
  expect_check_rejects(kInputs + "/alias_depth_bomb.yaml", "[yaml-limit]");
  expect_check_rejects(kInputs + "/merge_key_laughs.yaml", "[yaml-limit]");
  Scratch s("bombs");
  expect_check_rejects(s.write("deep_flow.yaml", repeat("[", 100000) + repeat("]", 100000)),
                       "[yaml-limit]");
  std::string block;
  for (int i = 0; i < 2000; ++i) block += std::string(i, ' ') + "a:\n";
  expect_check_rejects(s.write("deep_block.yaml", block), "[yaml-limit]");
  expect_check_rejects(s.write("deep.json", repeat("[", 100000) + repeat("]", 100000)),
                       "[json-limit]");
  expect_check_rejects(
      s.write("deep_object.json", repeat("{\"a\":", 100000) + "1" + repeat("}", 100000)),
      "[json-limit]");
}

TEST_CASE("a file above the size limit is refused before it is parsed") {
  Scratch s("size");
  const std::string line = "# " + std::string(1022, 'x') + "\n";
  const std::string huge = s.write("huge.yaml", repeat(line, 65 * 1024) + "quant_cfg: []\n");
  const Outcome r = run_qcfg({"check", huge});
  CAPTURE(r.output);
  CHECK(r.exit_code == 1);
  // About the file as a whole: its path, no line (and no excerpt of a 64 MiB line).
  CHECK(has_file_error(r.output, huge));
  CHECK(r.output.find("(limit 67108864 bytes; ") != std::string::npos);
  CHECK(r.output.find("[input-limit]") != std::string::npos);
}

TEST_CASE("text that is not UTF-8 is a located encoding error") {
  expect_check_rejects(kInputs + "/not_utf8_overlong.yaml", "[yaml-encoding]");
  expect_check_rejects(kInputs + "/utf16_bom.yaml", "[yaml-encoding]");
  expect_check_rejects(kInputs + "/not_utf8_surrogate.json", "[json-encoding]");
}

TEST_CASE("NaN, infinities and huge numbers where ModelOpt rejects them") {
  expect_check_rejects(kInputs + "/nan_num_bits.yaml", "num_bits");
  expect_check_rejects(kInputs + "/inf_num_bits.yaml", "num_bits");
  expect_check_rejects(kInputs + "/inf_axis.yaml", "axis");
  expect_check_rejects(kInputs + "/nan_effective_bits.yaml", "effective_bits");
  expect_check_rejects(kInputs + "/huge_int_effective_bits.yaml", "effective_bits");
  expect_check_rejects(kInputs + "/huge_float_json.json", "effective_bits");
  expect_check_rejects(kInputs + "/nan_constant_amax.json", "constant_amax");
  expect_check_rejects(kInputs + "/huge_int_num_bits_tuple.yaml", "num_bits");
}

TEST_CASE("import graphs: depth, fan-out, total loads, expansion and cycles are bounded") {
  Scratch s("imports");
  // A chain deeper than the import depth limit.
  for (int i = 0; i < 80; ++i) {
    s.write(
        "chain/c" + std::to_string(i) + ".yaml",
        kListSchema + "imports:\n  next: c" + std::to_string(i + 1) + "\n---\n- $import: next\n");
  }
  s.write("chain/c80.yaml", kListSchema + "- {quantizer_name: '*', enable: false}\n");
  const std::string chain =
      s.write("chain/top.yaml", "imports:\n  c: c0\nquant_cfg:\n  - $import: c\n");
  expect_import_rejected(chain, "[input-limit]", s.path("chain"));

  // One section with more names than the fan-out limit.
  std::string fan = "imports:\n";
  for (int i = 0; i < 300; ++i) fan += "  i" + std::to_string(i) + ": leaf\n";
  s.write("fan/leaf.yaml", kListSchema + "- {quantizer_name: '*', enable: false}\n");
  const std::string fanout = s.write("fan/top.yaml", fan + "quant_cfg: []\n");
  expect_import_rejected(fanout, "[input-limit]", s.path("fan"));

  // A diamond: each level imports the next twice, 2^20 loads without the total limit.
  for (int i = 0; i < 20; ++i) {
    const std::string next = "d" + std::to_string(i + 1);
    s.write("diamond/d" + std::to_string(i) + ".yaml", kListSchema + "imports:\n  a: " + next +
                                                           "\n  b: " + next +
                                                           "\n---\n- $import: a\n- $import: b\n");
  }
  s.write("diamond/d20.yaml", kListSchema + "- {quantizer_name: '*', enable: false}\n");
  const std::string diamond =
      s.write("diamond/top.yaml", "imports:\n  d: d0\nquant_cfg:\n  - $import: d\n");
  expect_import_rejected(diamond, "[input-limit]", s.path("diamond"));

  // One big snippet spliced many times: the resolved document outgrows the value limit.
  s.write("expand/big.yaml",
          kListSchema + repeat("- {quantizer_name: '*', enable: false}\n", 5000));
  const std::string expand = s.write(
      "expand/top.yaml", "imports:\n  big: big\nquant_cfg:\n" + repeat("  - $import: big\n", 300));
  expect_import_rejected(expand, "[input-limit]", s.path("expand"));

  s.write("cycle/a.yaml", kListSchema + "imports:\n  b: b\n---\n- $import: b\n");
  s.write("cycle/b.yaml", kListSchema + "imports:\n  a: a\n---\n- $import: a\n");
  const std::string cycle =
      s.write("cycle/top.yaml", "imports:\n  a: a\nquant_cfg:\n  - $import: a\n");
  expect_import_rejected(cycle, "[import-cycle]", s.path("cycle"));
}

TEST_CASE("imports that leave the working directory and the recipe root are refused") {
  Scratch s("escape");
  const std::string outside =
      s.write("outside/x.yaml", kListSchema + "- {quantizer_name: '*', enable: false}\n");
  fs::create_directories(s.path("work"));
  fs::create_symlink(outside, s.path("work/link.yaml"));
  const std::string work = s.path("work");
  const std::vector<std::pair<std::string, std::string>> escapes = {
      {"dotdot.yaml", "../outside/x"},
      {"absolute.yaml", outside},
      {"symlink.yaml", "link"},
  };
  for (const auto& [name, import] : escapes) {
    CAPTURE(name);
    const std::string top =
        s.write("work/" + name, "imports:\n  x: '" + import + "'\nquant_cfg:\n  - $import: x\n");
    expect_check_rejects(top, "[import-outside-root]", work);
    expect_rejected({"normalize", top}, top, "[import-outside-root]", work);
    const Outcome allowed = run_qcfg({"check", "--allow-outside-root", top}, work);
    CAPTURE(allowed.output);
    CHECK(allowed.exit_code == 0);
  }
  // Inside the working directory (a subdirectory, `./`, and a `..` that comes back) is fine.
  s.write("work/units/y.yaml", kListSchema + "- {quantizer_name: '*', enable: false}\n");
  const std::string inside =
      s.write("work/inside.yaml",
              "imports:\n  a: units/y\n  b: ./units/y\n  c: units/../units/y\nquant_cfg:\n"
              "  - $import: a\n  - $import: b\n  - $import: c\n");
  const Outcome ok = run_qcfg({"check", inside}, work);
  CAPTURE(ok.output);
  CHECK(ok.exit_code == 0);
}

TEST_CASE("devices, FIFOs and impossible paths are refused, not read forever") {
  Scratch s("special");
  fs::create_symlink("/dev/zero", s.path("zero.yaml"));
  fs::create_symlink("/dev/urandom", s.path("random.json"));
  REQUIRE(mkfifo(s.path("fifo.yaml").c_str(), 0600) == 0);
  for (const std::string name : {"zero.yaml", "random.json", "fifo.yaml"}) {
    CAPTURE(name);
    const Outcome r = run_qcfg({"check", s.path(name)});
    CAPTURE(r.output);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 1);
    CHECK(r.output.find("not a regular file") != std::string::npos);
  }
  // A name longer than PATH_MAX makes stat() fail with ENAMETOOLONG: an error, not exit 2.
  const Outcome r = run_qcfg({"check", s.path(std::string(5000, 'x') + ".yaml")});
  CAPTURE(r.output);
  CHECK(r.exit_code == 1);
  CHECK(r.output.find("cannot read") != std::string::npos);
}
