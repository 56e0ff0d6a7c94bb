// `qcfg migrate` end to end: modes, exit codes (0 clean, 1 would change / failed, 2 usage),
// atomic in-place writes.
#include <doctest/doctest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <regex>

#include "compiler/document/reader.h"
#include "tests/migrations/helpers.h"
#include "tests/run_command.h"

namespace qcfg::migrations::testing {
namespace {

using test::Run;

Run qcfg(const std::string& args) {
  return test::run_command(std::string(QCFG_EXE) + " " + args + " 2>/dev/null");
}

const std::string kLegacy =
    "# keep me\nquant_cfg:\n  default: {enable: false}\n  '*w': {num_bits: 8}\n";
const std::string kMigrated =
    "# keep me\nquant_cfg:\n  - quantizer_name: '*'\n    enable: false\n"
    "  - quantizer_name: '*w'\n    cfg: {num_bits: 8}\n";

}  // namespace

TEST_CASE("migrate: usage errors exit 2") {
  CHECK(qcfg("migrate").status == 2);
  CHECK(qcfg("migrate --check --diff x.yaml").status == 2);
  CHECK(qcfg("migrate --bogus x.yaml").status == 2);
  CHECK(qcfg("migrate a.yaml b.yaml").status == 2);  // printing takes one file
  CHECK(qcfg("migrate --help").status == 0);
}

TEST_CASE("migrate: print, check, diff") {
  ScratchDir dir("mig-cli");
  const fs::path legacy = dir.path() / "legacy.yaml";
  const fs::path clean = dir.path() / "clean.yaml";
  write_text(legacy, kLegacy);
  write_text(clean, kMigrated);

  const Run printed = qcfg("migrate " + legacy.string());
  CHECK(printed.status == 0);
  CHECK(printed.out == kMigrated);

  CHECK(qcfg("migrate --check " + clean.string()).status == 0);
  CHECK(qcfg("migrate --check " + legacy.string()).status == 1);
  CHECK(qcfg("migrate --check " + clean.string() + " " + legacy.string()).status == 1);
  CHECK(read_text(legacy) == kLegacy);  // --check writes nothing

  const Run diff = qcfg("migrate --diff " + legacy.string());
  CHECK(diff.status == 1);
  CHECK(diff.out == "--- a/" + legacy.string() + "\n+++ b/" + legacy.string() +
                        "\n@@ -1,4 +1,6 @@\n # keep me\n quant_cfg:\n"
                        "-  default: {enable: false}\n-  '*w': {num_bits: 8}\n"
                        "+  - quantizer_name: '*'\n+    enable: false\n"
                        "+  - quantizer_name: '*w'\n+    cfg: {num_bits: 8}\n");
  CHECK(qcfg("migrate --diff " + clean.string()).out.empty());
  CHECK(qcfg("migrate --diff " + clean.string()).status == 0);
}

TEST_CASE("migrate: unreadable or unparsable files exit 1") {
  ScratchDir dir("mig-cli");
  const fs::path broken = dir.path() / "broken.yaml";
  write_text(broken, "quant_cfg: [\n");
  CHECK(qcfg("migrate --check " + broken.string()).status == 1);
  CHECK(qcfg("migrate --check " + (dir.path() / "missing.yaml").string()).status == 1);
  const Run located =
      test::run_command(std::string(QCFG_EXE) + " migrate --check " + broken.string() + " 2>&1");
  CHECK(located.out.find(broken.string() + ":") != std::string::npos);
}

TEST_CASE("migrate --in-place rewrites, then is a no-op") {
  ScratchDir dir("mig-cli");
  const fs::path legacy = dir.path() / "legacy.yaml";
  write_text(legacy, kLegacy);
  CHECK(qcfg("migrate --in-place " + legacy.string()).status == 0);
  CHECK(read_text(legacy) == kMigrated);
  CHECK(qcfg("migrate --in-place " + legacy.string()).status == 0);
  CHECK(read_text(legacy) == kMigrated);
  CHECK(qcfg("migrate --check " + legacy.string()).status == 0);
}

TEST_CASE("migrate --in-place in a read-only directory leaves the original intact") {
  ScratchDir dir("mig-cli");
  const fs::path ro = dir.path() / "ro";
  const fs::path legacy = ro / "legacy.yaml";
  write_text(legacy, kLegacy);
  fs::permissions(dir.path(), fs::perms::owner_all | fs::perms::others_read |
                                  fs::perms::others_exec | fs::perms::group_read |
                                  fs::perms::group_exec);
  fs::permissions(legacy, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                              fs::perms::others_read);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                          fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  // Root ignores directory permissions: run the command as an unprivileged user then.
  const std::string as_user =
      ::geteuid() == 0 ? "setpriv --reuid=65534 --regid=65534 --clear-groups " : "";
  const Run r =
      test::run_command(as_user + QCFG_EXE + " migrate --in-place " + legacy.string() + " 2>&1");
  CAPTURE(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("not migrated") != std::string::npos);
  CHECK(read_text(legacy) == kLegacy);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(ro)) ++entries;
  CHECK(entries == 1);  // no temporary file left behind
  fs::permissions(ro, fs::perms::owner_all, fs::perm_options::add);
}

}  // namespace qcfg::migrations::testing

namespace qcfg::migrations::testing {

// The manifest pre-commit reads: both hooks, the keys pre-commit requires, the commands they run.
TEST_CASE(".pre-commit-hooks.yaml declares qcfg-lint and qcfg-migrate-check") {
  SourceManager sources;
  std::string error;
  const SourceFile* f =
      sources.load((fs::path(QCFG_SOURCE_DIR) / ".pre-commit-hooks.yaml").string(), &error);
  REQUIRE(f != nullptr);
  const std::vector<Value> docs = read_yaml_documents(*f);
  REQUIRE(docs.size() == 1);
  REQUIRE(docs[0].is_list());
  std::map<std::string, std::string> entries;
  for (const Value& hook : docs[0].items()) {
    for (const char* key : {"id", "name", "entry", "language"}) {
      REQUIRE(hook.find(key) != nullptr);
      CHECK(hook.find(key)->is_string());
    }
    // pre-commit installs qcfg itself from pyproject.toml (tests/packaging/pre_commit_test.sh).
    CHECK(hook.find("language")->as_string() == "python");
    const Value* types = hook.find("types_or");
    REQUIRE(types != nullptr);
    CHECK(types->size() == 2);
    const std::regex files(hook.find("files")->as_string());
    CHECK(std::regex_search("modelopt_recipes/general/ptq/fp8.yaml", files));
    CHECK(std::regex_search("configs/quant_cfg/w4.json", files));
    CHECK(std::regex_search("modelopt_recipes/huggingface/models/x/ptq/nvfp4.yaml", files));
    CHECK_FALSE(std::regex_search(".github/workflows/ci.yaml", files));
    // conda-forge and rattler-build recipes (`recipes/<pkg>/meta.yaml`, `recipe.yaml`)
    CHECK_FALSE(std::regex_search("recipes/numpy/meta.yaml", files));
    CHECK_FALSE(std::regex_search("conda/recipes/numpy/recipe.yaml", files));
    CHECK_FALSE(std::regex_search("recipes/numpy/conda_build_config.yaml", files));
    entries[hook.find("id")->as_string()] = hook.find("entry")->as_string();
  }
  CHECK(entries["qcfg-lint"] == "qcfg lint");
  CHECK(entries["qcfg-migrate-check"] == "qcfg migrate --check");
}

// qcfg publishes no release tags: a `rev:` the docs show must be something a user can use as is
// (a placeholder for a commit sha they pick), never a tag that does not exist.
TEST_CASE("docs/pre-commit.md shows no release tag as a rev") {
  std::ifstream in(fs::path(QCFG_SOURCE_DIR) / "docs" / "pre-commit.md");
  REQUIRE(in.good());
  const std::regex rev(R"(^\s*rev:\s*(\S+))");
  size_t revs = 0;
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (!std::regex_search(line, m, rev)) continue;
    ++revs;
    CAPTURE(line);
    CHECK(std::regex_match(m[1].str(), std::regex(R"(<[a-z0-9-]+>|[0-9a-f]{40})")));
  }
  CHECK(revs >= 1);
}

}  // namespace qcfg::migrations::testing
