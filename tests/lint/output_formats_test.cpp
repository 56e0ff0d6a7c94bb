// Every `qcfg lint --format` (lint/output_formats.h) renders the same two fixtures against its
// golden report, tests/lint/goldens/report.<format>; QCFG_UPDATE_GOLDENS=1 rewrites them.
#include "lint/output_formats.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/lint/fixture.h"

namespace fs = std::filesystem;
using namespace qcfg::lint;

namespace {

// A legacy config (QC001 with its fix) and a JSON config (QC002), paths relative to the source.
const char* const kInputs[] = {"tests/lint/fixtures/QC001_legacy_format.yaml",
                               "tests/lint/fixtures/QC002_quantizer_path.json"};

std::string read_or_empty(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The source directory's absolute prefix removed, so the golden holds relative paths.
std::string relative_to_source(std::string report) {
  const std::string prefix = std::string(QCFG_SOURCE_DIR) + "/";
  for (size_t at; (at = report.find(prefix)) != std::string::npos;) report.erase(at, prefix.size());
  return report;
}

}  // namespace

TEST_CASE("every lint output format renders its golden report") {
  Linter linter{LintOptions{}};
  std::vector<FileResult> results;
  for (const char* input : kInputs)
    results.push_back(linter.lint_file(std::string(QCFG_SOURCE_DIR) + "/" + input));
  REQUIRE(output_formats().size() == 3);
  for (const OutputFormat& format : output_formats()) {
    CAPTURE(format.name);
    const std::string report =
        relative_to_source(format.render(results, linter.selected_rules(), QCFG_SOURCE_DIR));
    const fs::path golden =
        fs::path(QCFG_SOURCE_DIR) / "tests/lint/goldens" / (std::string("report.") + format.name);
    if (testing::update_goldens()) {
      std::ofstream(golden, std::ios::binary) << report;
      continue;
    }
    CHECK(report == read_or_empty(golden));
  }
  CHECK(find_output_format("sarif") == &output_formats()[2]);
  CHECK(find_output_format("xml") == nullptr);
}
