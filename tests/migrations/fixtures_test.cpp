// Golden tests of the migrator: each fixture NAME comes with NAME.expected (the migrated text;
// absent: the file must stay unchanged) and NAME.warnings (`line:col: rule-id` per warning;
// absent: no warning). Every result must also be a fixed point (idempotence).
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>

#include "migrations/migrate.h"
#include "tests/migrations/helpers.h"

namespace qcfg::migrations::testing {
namespace {

const fs::path kFixtures = fs::path(QCFG_SOURCE_DIR) / "tests" / "migrations" / "fixtures";
const std::string kRecipeRoot = std::string(QCFG_SHARED_DIR) + "/conformance/modelopt_recipes";

bool is_fixture(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext != ".expected" && ext != ".warnings";
}

std::string optional_text(const fs::path& p, const std::string& fallback) {
  return fs::exists(p) ? read_text(p) : fallback;
}

// QCFG_UPDATE_GOLDENS=1 (docs/migrate.md): write `actual` as the golden `p`, or remove `p` when
// `actual` is what an absent golden means (`absent`).
bool update_golden(const fs::path& p, const std::string& actual, const std::string& absent) {
  const char* v = std::getenv("QCFG_UPDATE_GOLDENS");
  if (v == nullptr || *v == '\0' || std::string(v) == "0") return false;
  if (actual == absent)
    fs::remove(p);
  else
    std::ofstream(p, std::ios::binary) << actual;
  return true;
}

std::string warning_lines(const MigrateResult& r) {
  std::string out;
  for (const Diagnostic& d : r.warnings) {
    out += fmt::format("{}:{}: {}\n", d.loc.line, d.loc.column, d.rule_id);
  }
  return out;
}

MigrateOptions options() {
  MigrateOptions o;
  o.recipe_root = kRecipeRoot;
  return o;
}

}  // namespace

TEST_CASE("every fixture migrates to its expected text with its expected warnings") {
  size_t fixtures = 0;
  for (const fs::path& path : files_under(kFixtures, {".yaml", ".json"})) {
    if (!is_fixture(path)) continue;
    ++fixtures;
    CAPTURE(path.filename().string());
    const std::string original = read_text(path);
    SourceManager sources;
    const MigrateResult result = migrate_text(path.string(), original, sources, options());
    const fs::path expected = path.string() + ".expected", warnings = path.string() + ".warnings";
    if (!update_golden(expected, result.new_text, original))
      CHECK(result.new_text == optional_text(expected, original));
    if (!update_golden(warnings, warning_lines(result), ""))
      CHECK(warning_lines(result) == optional_text(warnings, ""));
    CHECK(result.changed() == (result.new_text != original));
    CHECK(apply_edits(original, result.edits) == result.new_text);

    SourceManager again_sources;
    const MigrateResult again =
        migrate_text(path.string(), result.new_text, again_sources, options());
    CHECK(again.edits.empty());
    CHECK(again.new_text == result.new_text);
  }
  CHECK(fixtures >= 15);
}

TEST_CASE("every diagnostic points into the original file") {
  const fs::path path = kFixtures / "not_migrated.yaml";
  SourceManager sources;
  const MigrateResult r = migrate_text(path.string(), read_text(path), sources, options());
  REQUIRE(!r.warnings.empty());
  for (const Diagnostic& d : r.warnings) {
    CHECK(d.severity == Severity::Warning);
    REQUIRE(d.loc.known());
    CHECK(d.loc.file->path == path.string());
    CHECK(render_text(d).find(path.string() + ":") == 0);
  }
}

TEST_CASE("a text that does not parse is a located error, not a crash") {
  SourceManager sources;
  try {
    migrate_text("broken.yaml", "quant_cfg: {a: [1, 2}\n", sources, options());
    FAIL("expected a CompileError");
  } catch (const CompileError& e) {
    REQUIRE(!e.diagnostics().empty());
    CHECK(e.diagnostics().front().loc.line == 1);
    CHECK(e.diagnostics().front().rule_id == "yaml-syntax");
  }
}

TEST_CASE("edits are reported in text order with their rule and location") {
  const fs::path path = kFixtures / "ptq_cfg_recipe.yaml";
  SourceManager sources;
  const MigrateResult r = migrate_text(path.string(), read_text(path), sources, options());
  REQUIRE(r.edits.size() == 2);
  CHECK(r.edits[0].rule_id == "ptq-cfg-section");
  CHECK(r.edits[0].loc.line == 5);
  CHECK(r.edits[1].rule_id == "legacy-quant-cfg");
  CHECK(r.edits[0].end <= r.edits[1].begin);
}

}  // namespace qcfg::migrations::testing
