// End-to-end tests of the qcfg executable: exit codes, diagnostics format, and that hostile or
// broken input is rejected with a located error instead of a crash.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "tests/cli/qcfg_under_test.h"
#include "tests/run_command.h"

namespace fs = std::filesystem;

namespace qcfg::test {
namespace {

// `qcfg ARGS`, stdout and stderr together.
Run qcfg(const std::string& args) { return run_command(qcfg_under_test() + " " + args + " 2>&1"); }

// A scratch directory with files written by the test.
class Scratch {
 public:
  Scratch() : dir_(fs::temp_directory_path() / ("qcfg-cli-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
  }
  ~Scratch() { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    fs::path p = dir_ / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
  std::string path() const { return dir_.string(); }

 private:
  fs::path dir_;
};

// `file:line:col: error: ... [rule]` (the source line and caret follow when the line exists).
bool has_located_error(const std::string& out, const std::string& file) {
  std::regex located(std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                     R"(:\d+:\d+: error: .+ \[[a-z0-9-]+\])");
  return std::regex_search(out, located);
}

void expect_rejected(Scratch& s, const std::string& name, const std::string& text) {
  CAPTURE(name);
  const std::string file = s.write(name, text);
  const Run r = qcfg("check " + file);
  CAPTURE(r.out);
  CHECK(r.status == 1);
  CHECK(has_located_error(r.out, file));
}

}  // namespace

TEST_CASE("usage errors exit 2, --help exits 0") {
  CHECK(qcfg("").status == 2);
  CHECK(qcfg("frobnicate").status == 2);
  CHECK(qcfg("normalize").status == 2);
  CHECK(qcfg("normalize --format xml x.yaml").status == 2);
  Run help = qcfg("normalize --help");
  CHECK(help.status == 0);
  CHECK(help.out.find("usage: qcfg normalize FILE") != std::string::npos);
  CHECK(qcfg("check --help").status == 0);
  CHECK(qcfg("--help").status == 0);
}

TEST_CASE("valid input exits 0 and prints the canonical form") {
  Scratch s;
  const std::string f =
      s.write("ok.yaml",
              "quant_cfg:\n  - {quantizer_name: '*', enable: false}\n"
              "  - {quantizer_name: '*weight_quantizer', cfg: {num_bits: e4m3}}\n");
  const Run r = qcfg("normalize " + f);
  CHECK(r.status == 0);
  CHECK(std::regex_search(r.out, std::regex(R"("num_bits": \[\s*4,\s*3\s*\])")));
  CHECK(qcfg("check " + f).status == 0);
}

TEST_CASE("the bundled recipes all pass qcfg check") {
  const Run r =
      qcfg("check " QCFG_SOURCE_DIR "/recipes/ptq/*.yaml " QCFG_SOURCE_DIR "/recipes/units/*.yaml");
  CAPTURE(r.out);
  CHECK(r.status == 0);
}

TEST_CASE("a diagnostic shows the source line and a caret under the offending value") {
  Scratch s;
  const std::string f =
      s.write("caret.yaml", "quant_cfg:\n  - {quantizer_name: 5, enable: false}\n");
  const Run r = qcfg("check " + f);
  CHECK(r.status == 1);
  CHECK(r.out.find(f + ":2:22: error: ") != std::string::npos);
  CHECK(r.out.find("\n    - {quantizer_name: 5, enable: false}\n" + std::string(23, ' ') + "^\n") !=
        std::string::npos);
}

TEST_CASE("broken and hostile input is rejected with a located error, never a crash") {
  Scratch s;
  expect_rejected(s, "syntax.yaml", "quant_cfg:\n  - {quantizer_name: '*', enable: false\n");
  expect_rejected(s, "tab.yaml", "quant_cfg:\n\t- x\n");
  expect_rejected(s, "bad_type_entry.yaml", "quant_cfg:\n  - {quantizer_name: 5, enable: false}\n");
  expect_rejected(s, "bad_type_cfg.yaml", "quant_cfg:\n  - {quantizer_name: '*', cfg: 8}\n");
  expect_rejected(s, "bad_num_bits.yaml",
                  "quant_cfg:\n  - quantizer_name: '*'\n    cfg: {num_bits: 0}\n");
  expect_rejected(s, "bad_axis.yaml", "quant_cfg:\n  - quantizer_name: '*'\n    cfg: {axis: x}\n");
  expect_rejected(s, "bad_rotate.yaml",
                  "quant_cfg:\n  - quantizer_name: '*'\n    cfg: {rotate: {block_size: 0}}\n");
  expect_rejected(s, "bad_algorithm.yaml", "algorithm: 5\nquant_cfg: []\n");
  expect_rejected(s, "bad_quant_cfg.yaml", "quant_cfg: 7\n");
  expect_rejected(s, "extra_key.yaml", "quant_cfg: []\nalgorithm: max\nbogus: 1\n");
  expect_rejected(s, "deep.yaml", std::string(2000, '[') + std::string(2000, ']') + "\n");
  expect_rejected(s, "laughs.yaml",
                  "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                  "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                  "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                  "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                  "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                  "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                  "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n");
  expect_rejected(s, "cycle_alias.yaml", "a: &a [*a]\n");
  expect_rejected(s, "unknown_tag.yaml", "quant_cfg: !!python/tuple [1, 2]\n");
  expect_rejected(s, "three_docs.yaml", "a: 1\n---\nb: 2\n---\nc: 3\n");
  expect_rejected(s, "not_utf8.yaml", "quant_cfg: \"\xff\xfe\"\n");
  expect_rejected(s, "bad.json", "{\"quant_cfg\": [}\n");
  expect_rejected(s, "missing_import.yaml",
                  "imports:\n  x: does/not/exist\nquant_cfg:\n  - $import: x\n");
  expect_rejected(s, "undeclared_import.yaml",
                  "quant_cfg:\n  - quantizer_name: '*'\n"
                  "    cfg: {$import: fp8}\n");
  expect_rejected(s, "recipe_type.yaml", "metadata: {recipe_type: qat}\nquantize: {}\n");
  expect_rejected(s, "recipe_section.yaml", "metadata: {recipe_type: ptq}\n");
}

TEST_CASE("import cycles are reported with the chain") {
  Scratch s;
  s.write("a.yaml",
          "# modelopt-schema: modelopt.torch.quantization.config.QuantizerCfgListConfig\n"
          "imports:\n  b: b\n---\n- $import: b\n");
  s.write("b.yaml",
          "# modelopt-schema: modelopt.torch.quantization.config.QuantizerCfgListConfig\n"
          "imports:\n  a: a\n---\n- $import: a\n");
  const std::string top = s.write("top.yaml", "imports:\n  a: a\nquant_cfg:\n  - $import: a\n");
  const Run r = qcfg("check --recipe-root /nonexistent " + top + " 2>&1; cd " + s.path() + " && " +
                     qcfg_under_test() + " check top.yaml");
  CAPTURE(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("Circular import detected") != std::string::npos);
  CHECK(r.out.find("[import-cycle]") != std::string::npos);
}

TEST_CASE("unreadable files are a located error, not a crash") {
  const Run r = qcfg("check /nonexistent/file.yaml");
  CHECK(r.status == 1);
  CHECK(r.out.find("cannot read") != std::string::npos);
}

}  // namespace qcfg::test

namespace qcfg::test {

// issue 20: copies of ModelOpt 0.47's own dspark_warmstart.yaml that ModelOpt rejects
// (extra_forbidden, int_parsing) pass neither `check` nor `lint` (the pre-commit hook), each
// with the error at the offending line and column; load-recipe prints the validated dump.
TEST_CASE("speculative recipes ModelOpt 0.47 rejects fail check and lint at the offending key") {
  const std::string cases = std::string(QCFG_SOURCE_DIR) + "/tests/modelopt/recipe_sections/cases/";
  const struct {
    const char* file;
    const char* where;
  } reproducers[] = {
      {"dspark_warmstart_dflash_unknown_key.yaml", ":75:3: error: dflash.dflash_blocksize: "},
      {"dspark_warmstart_block_size_not_int.yaml", ":77:22: error: dflash.dflash_block_size: "},
      {"dspark_warmstart_data_unknown_key.yaml", ":33:3: error: data.data_paths: "},
  };
  for (const auto& r : reproducers) {
    CAPTURE(r.file);
    const std::string file = cases + r.file;
    for (const char* command : {"check ", "lint "}) {
      const Run run = qcfg(command + file);
      CAPTURE(run.out);
      CHECK(run.status == 1);
      CHECK(run.out.find(file + r.where) != std::string::npos);
    }
  }
  const Run dump = qcfg("load-recipe --format json " + std::string(QCFG_SOURCE_DIR) +
                        "/tests/modelopt/recipes/models/nvidia/"
                        "NVIDIA-Nemotron-3.5-Lightning-30B-A3B-BF16/speculative_decoding/"
                        "dspark_warmstart.yaml");
  CAPTURE(dump.out);
  CHECK(dump.status == 0);
  CHECK(dump.out.find("\"dflash_swa_window_size\": 1024") != std::string::npos);
  CHECK(dump.out.find("\"mode\": \"online\"") != std::string::npos);
}

}  // namespace qcfg::test
