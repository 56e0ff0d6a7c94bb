// Lints every file of ModelOpt's recipe tree (143 files) in one process, as `qcfg lint DIR` does,
// and prints the time per pass and per file (target: a pass under 1 s). Baselines measured in
// the same run: reading and YAML-parsing the same files (the floor), and the load pipeline alone
// (read, imports, normalize, validate) without rules, which shows what the rules add.
//
// usage: bench_lint [RECIPE_ROOT] [PASSES]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <vector>

#include "compiler/document/reader.h"
#include "driver/pipeline.h"
#include "lint/linter.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

std::vector<std::string> recipe_files(const fs::path& root) {
  std::vector<std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// The fastest of `passes` runs, in milliseconds (the least disturbed by the shared machine).
template <typename F>
double best_ms(int passes, F&& pass) {
  double best = 1e300;
  for (int i = 0; i < passes; ++i) {
    const auto t0 = Clock::now();
    pass();
    best = std::min(best, std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path root =
      argc > 1 ? fs::path(argv[1]) : fs::path(QCFG_SHARED_DIR) / "conformance" / "modelopt_recipes";
  const int passes = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  const std::vector<std::string> files = recipe_files(root);
  size_t findings = 0, errors = 0;
  const double lint = best_ms(passes, [&] {
    qcfg::lint::Linter linter{qcfg::lint::LintOptions{}};  // one process, one linter: as the CLI
    findings = errors = 0;
    for (const std::string& f : files) {
      for (const auto& finding : linter.lint_file(f).findings) {
        ++findings;
        errors += finding.diag.severity == qcfg::Severity::Error;
      }
    }
  });
  const double load_only = best_ms(passes, [&] {
    for (const std::string& f : files) {
      qcfg::SourceManager sources;
      qcfg::Diagnostics diags;
      qcfg::LoadOptions options;
      options.mode = qcfg::ReadMode::Auto;
      qcfg::load_file(f, options, sources, diags);
    }
  });
  const double parse_only = best_ms(passes, [&] {
    for (const std::string& f : files) {
      qcfg::SourceManager sources;
      std::string error;
      if (const qcfg::SourceFile* sf = sources.load(f, &error)) qcfg::read_yaml_documents(*sf);
    }
  });
  const double n = static_cast<double>(files.size());
  fmt::print("files: {} ({}), best of {} passes\n", files.size(), root.string(), passes);
  fmt::print("lint (all {} rules):  {:8.2f} ms/pass  {:6.3f} ms/file  findings {} (errors {})\n",
             qcfg::lint::all_rules().size(), lint, lint / n, findings, errors);
  fmt::print("baseline load only:   {:8.2f} ms/pass  {:6.3f} ms/file\n", load_only, load_only / n);
  fmt::print("baseline parse only:  {:8.2f} ms/pass  {:6.3f} ms/file\n", parse_only,
             parse_only / n);
  fmt::print("lint / parse: {:.1f}x, lint / load: {:.2f}x, target 1000 ms/pass: {}\n",
             lint / parse_only, lint / load_only, lint <= 1000.0 ? "met" : "MISSED");
  return 0;
}
