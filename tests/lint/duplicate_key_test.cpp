// QC027 beyond the fixtures: a duplicate in an imported file is reported in that file, once.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lint/linter.h"

namespace fs = std::filesystem;
using namespace qcfg;
using namespace qcfg::lint;

TEST_CASE("QC027 reports a duplicate key in an imported file, at its place in that file") {
  const fs::path dir = fs::temp_directory_path() / ("qcfg-qc027-" + std::to_string(::getpid()));
  fs::create_directories(dir / "units");
  auto write = [&](const std::string& rel, const std::string& text) {
    std::ofstream(dir / rel, std::ios::binary) << text;
    return (dir / rel).string();
  };
  write("units/fp8.yaml",
        "# modelopt-schema: modelopt.torch.quantization.config.QuantizerAttributeConfig\n"
        "num_bits: [4, 3]\naxis: null\nnum_bits: [4, 3]\n");
  const std::string top = write(
      "top.yaml",
      "# modelopt-schema: modelopt.torch.quantization.config.QuantizeConfig\n"
      "imports: {fp8: units/fp8}\nquant_cfg:\n  - quantizer_name: '*weight_quantizer'\n"
      "    cfg: {$import: fp8}\n  - quantizer_name: '*input_quantizer'\n    cfg: {$import: fp8}\n");
  LintOptions o;
  o.load.cwd = dir.string();
  o.select = {"QC000", "QC027"};  // QC000: the import must load
  Linter linter(o);
  const FileResult r = linter.lint_file(top);
  REQUIRE(r.findings.size() == 1);
  const Diagnostic& d = r.findings[0].diag;
  CHECK(d.rule_id == "QC027");
  CHECK(d.severity == Severity::Warning);
  REQUIRE(d.loc.file != nullptr);
  CHECK(fs::path(d.loc.file->path).filename() == "fp8.yaml");
  CHECK(d.loc.line == 4);
  CHECK(d.loc.column == 1);
  CHECK(d.message ==
        "key 'num_bits' appears twice in this mapping; the value at 2:1 is ignored (ModelOpt "
        "keeps the last)");
  REQUIRE(d.notes.size() == 1);
  CHECK(d.notes[0].find("fp8.yaml:2:1") != std::string::npos);
  CHECK(!r.findings[0].fix.has_value());
  fs::remove_all(dir);
}
