// `qcfg lint` over ModelOpt's own recipe tree (143 files ModelOpt accepts): no error-level
// finding, and exactly the warnings justified in docs/lint-corpus-report.md.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "lint/linter.h"
#include "resolver/inventory.h"

namespace fs = std::filesystem;
using namespace qcfg;
using namespace qcfg::lint;

TEST_CASE("lint of the ModelOpt recipe corpus: no errors, only the justified warnings") {
  const fs::path root = fs::path(QCFG_SHARED_DIR) / "conformance" / "modelopt_recipes";
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() == 143);
  Linter linter{LintOptions{}};
  std::vector<std::string> warnings;
  for (const std::string& f : files) {
    for (const Finding& finding : linter.lint_file(f).findings) {
      const Diagnostic& d = finding.diag;
      const std::string where = fs::relative(d.loc.file->path, root).generic_string();
      CAPTURE(where);
      CAPTURE(d.message);
      CHECK(d.severity != Severity::Error);
      warnings.push_back(fmt::format("{}:{} {}", where, d.loc.line, d.rule_id));
    }
  }
  const std::vector<std::string> justified = {
      "huggingface/models/mistralai/Mistral-Medium-3.5-128B/ptq/nvfp4-max-calib.yaml:35 QC005",
      "huggingface/models/mistralai/Mistral-Medium-3.5-128B/ptq/nvfp4-max-calib.yaml:38 QC005",
  };
  CHECK(warnings == justified);
}

// The serving-engine rules over ModelOpt 0.47's general/ptq recipes, against each golden
// checkpoint, for every engine: exactly the findings reviewed in docs/lint-corpus-report.md
// (the same on all eight checkpoints). The message is cut before the entry and module list.
TEST_CASE("engine rules over the 0.47 ptq recipes and golden checkpoints: the reviewed findings") {
  const fs::path goldens = fs::path(QCFG_SOURCE_DIR) / "tests" / "modelopt";
  const fs::path ptq = goldens / "recipes" / "general" / "ptq";
  std::vector<std::string> recipes;
  for (const auto& e : fs::directory_iterator(ptq)) recipes.push_back(e.path().string());
  std::sort(recipes.begin(), recipes.end());
  REQUIRE(recipes.size() == 24);
  const std::vector<std::string> reviewed = {
      "int4_blockwise_weight_only.yaml:31 QC028 vLLM does not load quant_algo W4A16_AWQ",
      "int4_blockwise_weight_only.yaml:31 QC028 SGLang does not load quant_algo W4A16_AWQ",
      "mxfp4_mlp_weight_only.yaml:27 QC028 vLLM does not load quant_algo mxfp4",
      "mxfp4_mlp_weight_only.yaml:27 QC028 TensorRT-LLM does not load quant_algo mxfp4",
      "mxfp4_mlp_weight_only.yaml:27 QC028 SGLang does not load quant_algo mxfp4; SGLang routes "
      "it to its NVFP4 loader",
      "nvfp4_default-kv_nvfp4_cast.yaml:29 QC028 SGLang does not load kv_cache_quant_algo NVFP4",
      "nvfp4_mlp_weight_only.yaml:27 QC028 TensorRT-LLM does not load quant_algo W4A16_NVFP4",
      "nvfp4_weight_only-kv_fp16.yaml:24 QC028 TensorRT-LLM does not load quant_algo W4A16_NVFP4",
      "nvfp4_weight_only-kv_fp8_cast.yaml:29 QC028 TensorRT-LLM does not load quant_algo "
      "W4A16_NVFP4",
  };
  for (const auto& arch : fs::directory_iterator(goldens / "checkpoints")) {
    const resolver::Inventory inventory = resolver::load_inventory(arch.path().string());
    LintOptions options;
    options.load.recipe_root = (goldens / "recipes").string();
    options.inventory = &inventory;
    options.targets = {"vllm", "trtllm", "sglang"};
    options.select = {"QC028", "QC029", "QC030"};
    Linter linter(options);
    std::vector<std::string> found;
    for (const std::string& r : recipes)
      for (const Finding& f : linter.lint_file(r).findings) {
        const std::string& m = f.diag.message;
        const std::string head = m.substr(0, std::min(m.find(": entry"), m.find(" (from entry")));
        found.push_back(fmt::format("{}:{} {} {}", fs::path(r).filename().string(), f.diag.loc.line,
                                    f.diag.rule_id, head));
      }
    CAPTURE(arch.path().filename().string());
    CHECK(found == reviewed);
  }
}
