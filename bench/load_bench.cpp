// Loads, normalizes and validates every file of a recipe tree in one process and prints the
// time per pass and per file. Baseline in the same run: reading and YAML-parsing the same files
// without imports or validation (the floor any loader pays).
//
// usage: bench_load [RECIPE_ROOT] [PASSES]
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "compiler/document/reader.h"
#include "driver/pipeline.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> recipe_files(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

template <typename F>
double best_ms(int passes, F&& pass) {
  double best = 1e300;
  for (int i = 0; i < passes; ++i) {
    auto t0 = Clock::now();
    pass();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path root = argc > 1 ? fs::path(argv[1])
                                 : fs::path(QCFG_SHARED_DIR) / "conformance" / "modelopt_recipes";
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const std::vector<std::string> files = recipe_files(root);
  size_t failures = 0;
  const double full = best_ms(passes, [&] {
    failures = 0;
    for (const std::string& f : files) {
      qcfg::SourceManager sources;
      qcfg::Diagnostics diags;
      qcfg::LoadOptions options;
      options.mode = qcfg::ReadMode::RecipeTree;
      options.recipe_root = root.string();
      if (!qcfg::load_file(f, options, sources, diags)) ++failures;
    }
  });
  const double parse_only = best_ms(passes, [&] {
    for (const std::string& f : files) {
      qcfg::SourceManager sources;
      std::string error;
      if (const qcfg::SourceFile* src = sources.load(f, &error)) {
        (void)qcfg::read_yaml_documents(*src);
      }
    }
  });
  fmt::print("files: {} (rejected: {})\n", files.size(), failures);
  fmt::print("load+imports+normalize+validate: {:.1f} ms per pass, {:.3f} ms per file\n", full,
             full / files.size());
  fmt::print("baseline read+parse only:        {:.1f} ms per pass\n", parse_only);
  fmt::print("ratio full/baseline: {:.2f}x   target: <= 1000 ms per pass\n", full / parse_only);
  return 0;
}
