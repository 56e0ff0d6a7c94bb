#include "tests/resolver/helpers.h"

#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>

#include "driver/pipeline.h"

namespace qcfg::test {

namespace fs = std::filesystem;

namespace {
// Removes every directory temp_dir() made when the test process exits.
struct TempDirs {
  std::vector<fs::path> made;
  ~TempDirs() {
    std::error_code ec;
    for (const fs::path& d : made) fs::remove_all(d, ec);
  }
};
TempDirs& temp_dirs() {
  static TempDirs dirs;
  return dirs;
}
}  // namespace

std::string temp_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  fs::path dir =
      fs::temp_directory_path() /
      ("qcfg_resolver_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
  fs::remove_all(dir);
  fs::create_directories(dir);
  temp_dirs().made.push_back(dir);
  return dir.string();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::vector<QuantizerEntry> entries_from_yaml(const std::string& yaml) {
  static SourceManager sources;
  const std::string path = temp_dir("cfg") + "/cfg.yaml";
  write_file(path, yaml);
  Diagnostics diags;
  std::optional<QuantizeConfig> qc = load_quantize_config(path, LoadOptions{}, sources, diags);
  for (const Diagnostic& d : diags.items())
    if (d.severity == Severity::Error) MESSAGE(render_text(d));
  REQUIRE(qc.has_value());
  return qc->quant_cfg;
}

resolver::InventoryQuantizer iq(const std::string& name, const char* parent) {
  resolver::InventoryQuantizer q;
  q.name = name;
  if (parent) q.parent_class = parent;
  return q;
}

}  // namespace qcfg::test
