// `qcfg lint` reports at least every error `qcfg check` reports, at the same file:line:col: the
// pre-commit hook runs lint only, so an error lint drops is an error nobody sees. Both run on one
// set of files (broken files inside and outside a modelopt_recipes tree, and ModelOpt's own tree)
// and every error line of check must have its counterpart in lint's report.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/run_command.h"

namespace fs = std::filesystem;

namespace {

struct Tree {
  fs::path dir = fs::temp_directory_path() / ("qcfg-lint-vs-check-" + std::to_string(::getpid()));
  std::vector<std::string> files;
  Tree() { fs::create_directories(dir); }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void write(const std::string& name, const std::string& text) {
    const fs::path p = dir / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    files.push_back(p.string());
  }
};

const char* kUnknownKey =
    "- quantizer_name: \"*weight_quantizer\"\n  cfg: {num_bits: 8, axsi: 0}\n";

// Broken the ways users break files, each inside a recipe tree and outside one.
void write_broken(Tree& t, const std::string& prefix) {
  t.write(prefix + "configs/list.yaml", kUnknownKey);
  t.write(prefix + "configs/qc.yaml",
          "algorithm: max\nquant_cfg:\n  - quantizer_name: '*'\n    cfg: {num_bits: 8, axis: x}\n");
  t.write(prefix + "configs/legacy.yaml", "quant_cfg:\n  '*weight_quantizer': {num_bits: 3.5}\n");
  t.write(prefix + "configs/path.yaml", "- quantizer_path: '*'\n  enable: false\n");
  t.write(prefix + "configs/syntax.yaml", "quant_cfg: [\n");
  t.write(prefix + "configs/recipe.yaml",
          "metadata: {recipe_type: ptq}\nquantize: {algorithm: 7}\n");
  t.write(prefix + "configs/import.yaml",
          "imports: {u: configs/absent}\nquant_cfg: [$import: u]\n");
  t.write(prefix + "configs/snippet.yaml",
          "# modelopt-schema: modelopt.torch.quantization.config.QuantizerAttributeConfig\n"
          "num_bits: 8\naxsi: 0\n");
  t.write(prefix + "configs/data.json", "[{\"quantizer_name\": \"*\", \"cfg\": {\"axsi\": 0}}]");
}

std::string join(const std::vector<std::string>& files) {
  std::string out;
  for (const std::string& f : files) out += " '" + f + "'";
  return out;
}

// The `LOCATION: error:` prefixes of every error line of a compiler-style report.
std::vector<std::string> error_locations(const std::string& report) {
  static const std::regex kError("^(.+?(:[0-9]+:[0-9]+)?): error: ");
  std::vector<std::string> out;
  std::istringstream in(report);
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, kError)) out.push_back(m[1].str());
  }
  return out;
}

}  // namespace

TEST_CASE("lint reports every error check reports, at the same file:line:col") {
  Tree t;
  write_broken(t, "modelopt_recipes/");
  write_broken(t, "plain/");
  for (const auto& e :
       fs::recursive_directory_iterator(QCFG_SHARED_DIR "/conformance/modelopt_recipes")) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") t.files.push_back(e.path());
  }
  const std::string files = join(t.files);
  const qcfg::test::Run check =
      qcfg::test::run_command(std::string(QCFG_EXE) + " check --quiet" + files + " 2>&1");
  const qcfg::test::Run lint =
      qcfg::test::run_command(std::string(QCFG_EXE) + " lint" + files + " 2>&1");
  const std::vector<std::string> expected = error_locations(check.out);
  REQUIRE(expected.size() >= 18);  // each broken file above fails check
  for (const std::string& at : expected) {
    CAPTURE(at);
    // A file-level error (no line) is located at the file's start in lint's report.
    const bool found = lint.out.find(at + ": error: ") != std::string::npos ||
                       lint.out.find(at + ":1:1: error: ") != std::string::npos;
    CHECK(found);
  }
  CHECK(lint.status == 1);
}
