// The loader's import limits at library level, where no snippet validator stands in front of
// them (the CLI always validates imported snippets, which hides some shapes of input).
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "compiler/loader/loader.h"

namespace fs = std::filesystem;
using namespace qcfg;
using namespace qcfg::loader;

namespace {

struct Tree {
  fs::path root =
      fs::temp_directory_path() / ("qcfg-hardening-loader-" + std::to_string(::getpid()));
  Tree() {
    fs::remove_all(root);
    fs::create_directories(root);
  }
  ~Tree() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream((root / name).string(), std::ios::binary) << text;
    return (root / name).string();
  }
};

std::string rule_of(Loader& loader, const std::string& path) {
  try {
    loader.load_config(path, SchemaKind::QuantizeConfig);
  } catch (const CompileError& e) {
    REQUIRE_FALSE(e.diagnostics().empty());
    CHECK(e.diagnostics().front().loc.known());
    return e.diagnostics().front().rule_id;
  }
  return "accepted";
}

}  // namespace

TEST_CASE("a merged snippet that still holds $import stops at the nesting limit") {
  // Unvalidated, `a` merges into itself forever (ModelOpt: RecursionError); this used to
  // overflow the stack.
  Tree t;
  t.write("a.yaml",
          "# modelopt-schema: modelopt.torch.quantization.config.QuantizerAttributeConfig\n"
          "$import: a\n");
  const std::string top = t.write(
      "top.yaml", "imports: {a: a}\nquant_cfg:\n  - quantizer_name: '*'\n    cfg: {$import: a}\n");
  SourceManager sources;
  LoaderOptions options;
  options.cwd = t.root.string();
  Loader loader(sources, options, nullptr);
  CHECK(rule_of(loader, top) == "input-limit");
}

TEST_CASE("import limits are options") {
  Tree t;
  t.write("leaf.yaml",
          "# modelopt-schema: modelopt.torch.quantization.config.QuantizerCfgListConfig\n"
          "- {quantizer_name: '*', enable: false}\n");
  const std::string top =
      t.write("top.yaml", "imports: {a: leaf, b: leaf, c: leaf}\nquant_cfg:\n  - $import: a\n");
  SourceManager sources;
  LoaderOptions options;
  options.cwd = t.root.string();
  {
    Loader loader(sources, options, nullptr);
    CHECK(rule_of(loader, top) == "accepted");
  }
  options.max_imports_per_file = 2;
  {
    Loader loader(sources, options, nullptr);
    CHECK(rule_of(loader, top) == "input-limit");
  }
  options.max_imports_per_file = 256;
  options.max_imports_total = 2;
  {
    Loader loader(sources, options, nullptr);
    CHECK(rule_of(loader, top) == "input-limit");
  }
  options.max_imports_total = 4096;
  options.cwd = (t.root / "elsewhere").string();
  options.recipe_root = t.root.string();  // found through the recipe root: allowed
  {
    Loader loader(sources, options, nullptr);
    CHECK(rule_of(loader, top) == "accepted");
  }
}
