// The migrator's key property over every fixture, every conformance case and all 143 files of
// ModelOpt's recipe tree: when it changes a file, the migrated file loads to the same quant
// configs as the original (checked here through the pipeline, independently of the migrator's
// own check), or the migrator warned why not. And migrating twice changes nothing more.
#include <doctest/doctest.h>

#include <algorithm>

#include "migrations/migrate.h"
#include "tests/migrations/helpers.h"

namespace qcfg::migrations::testing {
namespace {

const fs::path kShared = fs::path(QCFG_SHARED_DIR);
const fs::path kRecipes = kShared / "conformance" / "modelopt_recipes";
const fs::path kCases = kShared / "conformance" / "cases";
const fs::path kFixtures = fs::path(QCFG_SOURCE_DIR) / "tests" / "migrations" / "fixtures";

bool warned(const MigrateResult& r, std::initializer_list<std::string_view> rules) {
  return std::any_of(r.warnings.begin(), r.warnings.end(), [&](const Diagnostic& d) {
    return std::find(rules.begin(), rules.end(), d.rule_id) != rules.end();
  });
}

struct Tally {
  size_t files = 0;
  size_t changed = 0;
  size_t same_meaning = 0;
};

// Migrates `path`; the migrated text is written beside a copy in `scratch` under the same name
// relative to `root`, and both are loaded with the same recipe root and working directory.
void check_property(const fs::path& path, const fs::path& root, const std::string& cwd,
                    Tally& tally) {
  CAPTURE(path.string());
  ++tally.files;
  const std::string original = read_text(path);
  MigrateOptions options;
  options.recipe_root = kRecipes.string();
  options.cwd = cwd;
  SourceManager sources;
  const MigrateResult r = migrate_text(path.string(), original, sources, options);
  if (!r.changed()) {
    CHECK(r.new_text == original);
    return;
  }
  ++tally.changed;
  ScratchDir scratch("mig-corpus");
  const fs::path migrated = scratch.path() / fs::relative(path, root);
  write_text(migrated, r.new_text);
  const auto before = meaning_of(path, kRecipes.string(), cwd);
  const auto after = meaning_of(migrated, kRecipes.string(), cwd);
  if (before && after && *before == *after) {
    ++tally.same_meaning;
  } else if (!before) {
    CHECK(warned(r, {kRuleOriginalInvalid}));
  } else {
    CAPTURE(*before);
    CAPTURE(after.value_or("<does not load>"));
    CHECK(warned(r, {kRuleMeaningChanged}));
  }
  SourceManager again_sources;
  CHECK(migrate_text(path.string(), r.new_text, again_sources, options).edits.empty());
}

}  // namespace

TEST_CASE("ModelOpt's recipe tree: the migrator leaves every canonical file as it is") {
  Tally tally;
  for (const fs::path& p : files_under(kRecipes, {".yaml", ".yml"})) {
    check_property(p, kRecipes, ".", tally);
  }
  CHECK(tally.files == 143);
  MESSAGE(tally.changed << " of " << tally.files << " recipe files changed");
}

TEST_CASE("conformance cases: migrated files mean what the originals mean") {
  Tally tally;
  for (const fs::path& p : files_under(kCases, {".yaml", ".yml", ".json"})) {
    if (p.string().find(".expected.") != std::string::npos) continue;
    if (p.filename() == "manifest.json" || p.parent_path().filename() == "inventories") continue;
    check_property(p, kCases, kCases.string(), tally);
  }
  CHECK(tally.changed >= 10);      // the legacy-form cases (n001-n025, the JSON legacy config...)
  CHECK(tally.same_meaning >= 9);  // n025 (quantizer_path) did not load before
  MESSAGE(tally.changed << " of " << tally.files << " cases changed, " << tally.same_meaning
                        << " with the same meaning");
}

TEST_CASE("fixtures: migrated files mean what the originals mean") {
  Tally tally;
  for (const fs::path& p : files_under(kFixtures, {".yaml", ".json"})) {
    check_property(p, kFixtures, ".", tally);
  }
  CHECK(tally.changed >= 10);
  CHECK(tally.same_meaning >= 8);
}

}  // namespace qcfg::migrations::testing
