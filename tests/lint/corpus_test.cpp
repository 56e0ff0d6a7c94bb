// `qcfg lint` over ModelOpt's own recipe tree (143 files ModelOpt accepts): no error-level
// finding, and exactly the warnings justified in docs/lint-corpus-report.md.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "lint/linter.h"

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
