// Runs qcfg's pipeline over ModelOpt's real recipe tree and the conformance cases of
// ../shared/conformance and compares every result with what ModelOpt itself produced.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "compiler/json_writer.h"
#include "driver/pipeline.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path conformance_dir() { return fs::path(QCFG_SHARED_DIR) / "conformance"; }

json read_json_file(const fs::path& p) {
  std::ifstream in(p);
  return json::parse(in);
}

// Restores the working directory when it goes out of scope (relative imports depend on it).
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const fs::path& dir) : saved_(fs::current_path()) {
    fs::current_path(dir);
  }
  ~WorkingDirectory() { fs::current_path(saved_); }

 private:
  fs::path saved_;
};

struct Outcome {
  bool ok = false;
  json output;
  std::vector<qcfg::Diagnostic> diagnostics;
};

Outcome run(const std::string& file, qcfg::ReadMode mode, const std::string& recipe_root) {
  qcfg::SourceManager sources;
  qcfg::Diagnostics diags;
  qcfg::LoadOptions options;
  options.mode = mode;
  options.recipe_root = recipe_root;
  Outcome out;
  std::optional<qcfg::LoadedFile> loaded = qcfg::load_file(file, options, sources, diags);
  out.diagnostics = diags.items();
  if (loaded) {
    out.ok = true;
    out.output = json::parse(qcfg::to_json(qcfg::render_loaded_file(*loaded)));
  }
  return out;
}

// Every key of `expected` must be in `actual` with an equal value. Extra keys are allowed only
// at the top level (the contract allows extra output fields, not extra content inside them).
std::string compare(const json& expected, const json& actual, const std::string& path) {
  if (expected.is_object() && actual.is_object()) {
    if (path != "$" && expected.size() != actual.size()) {
      for (const auto& [key, value] : actual.items()) {
        if (!expected.contains(key)) return path + "." + key + ": unexpected";
      }
    }
    for (const auto& [key, value] : expected.items()) {
      if (!actual.contains(key)) return path + "." + key + ": missing";
      std::string diff = compare(value, actual[key], path + "." + key);
      if (!diff.empty()) return diff;
    }
    return {};
  }
  if (expected.is_array() && actual.is_array()) {
    if (expected.size() != actual.size()) {
      return path + ": " + std::to_string(actual.size()) + " items, expected " +
             std::to_string(expected.size());
    }
    for (size_t i = 0; i < expected.size(); ++i) {
      std::string diff = compare(expected[i], actual[i], path + "[" + std::to_string(i) + "]");
      if (!diff.empty()) return diff;
    }
    return {};
  }
  if (expected.type() != actual.type() && !(expected.is_number() && actual.is_number())) {
    return path + ": got " + actual.dump() + ", expected " + expected.dump();
  }
  if (expected != actual) return path + ": got " + actual.dump() + ", expected " + expected.dump();
  return {};
}

// An expected error must come with at least one located error diagnostic.
std::string check_error(const Outcome& got) {
  if (got.ok) return "ModelOpt rejects this input but qcfg accepted it";
  for (const qcfg::Diagnostic& d : got.diagnostics) {
    if (d.severity == qcfg::Severity::Error && d.loc.known()) return {};
  }
  return "rejected without a located error diagnostic";
}

std::string judge(const json& expected, const Outcome& got) {
  if (expected.value("error", false)) return check_error(got);
  if (!got.ok) {
    std::string msg = "qcfg rejected an input ModelOpt accepts:";
    for (const qcfg::Diagnostic& d : got.diagnostics) msg += "\n    " + qcfg::render_text(d, false);
    return msg;
  }
  json expected_fields = expected;
  expected_fields.erase("error");
  return compare(expected_fields, got.output, "$");
}

void report(const std::vector<std::string>& failures, size_t total, const char* what) {
  for (const std::string& f : failures) MESSAGE(f);
  MESSAGE(std::string(what) << ": " << (total - failures.size()) << "/" << total << " identical");
  CHECK(failures.empty());
}

}  // namespace

TEST_CASE("normalize and load-recipe conformance cases match ModelOpt") {
  const fs::path cases = conformance_dir() / "cases";
  REQUIRE(fs::exists(cases / "manifest.json"));
  const std::string recipe_root = (conformance_dir() / "modelopt_recipes").string();
  WorkingDirectory cwd(cases);
  std::vector<std::string> failures;
  size_t total = 0;
  const json manifest = read_json_file(cases / "manifest.json");
  for (const json& c : manifest["cases"]) {
    const std::string cmd = c["cmd"];
    if (cmd != "normalize" && cmd != "load-recipe") continue;
    ++total;
    const qcfg::ReadMode mode =
        cmd == "normalize" ? qcfg::ReadMode::Config : qcfg::ReadMode::RecipeTree;
    const Outcome got = run(c["file"], mode, recipe_root);
    const std::string diff = judge(read_json_file(cases / c["expected"].get<std::string>()), got);
    if (!diff.empty()) failures.push_back(c["id"].get<std::string>() + ": " + diff);
  }
  CHECK(total >= 73);
  report(failures, total, "cases");
}

TEST_CASE("every file of ModelOpt's recipe tree matches ModelOpt's own result") {
  const fs::path root = conformance_dir() / "modelopt_recipes";
  const fs::path golden = conformance_dir() / "golden" / "modelopt_recipes";
  REQUIRE(fs::exists(root));
  WorkingDirectory cwd(conformance_dir());
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    if (e.is_regular_file()) files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> failures;
  for (const fs::path& f : files) {
    const fs::path rel = fs::relative(f, root);
    const fs::path expected = golden / (rel.string() + ".json");
    if (!fs::exists(expected)) {
      failures.push_back(rel.string() + ": no golden file");
      continue;
    }
    const Outcome got = run(f.string(), qcfg::ReadMode::RecipeTree, root.string());
    const std::string diff = judge(read_json_file(expected), got);
    if (!diff.empty()) failures.push_back(rel.string() + ": " + diff);
  }
  CHECK(files.size() == 143);
  report(failures, files.size(), "recipe files");
}
