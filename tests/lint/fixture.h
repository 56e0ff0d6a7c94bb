// Lint fixtures (tests/lint/fixtures): a config file whose name starts with the rule id it
// tests, with its expected findings in comment lines: next to the line they expect, as
// clang-tidy's CHECK-MESSAGES (`# expect@-1: COL ID message`: the finding is on the line above
// this comment; `@+N` below, `@-N` N lines above), or anywhere with an absolute line
// (`# expect: LINE:COL ID message`); for JSON, in a sidecar `<file>.expect` holding
// `LINE:COL ID message` lines. `# inventory: NAME` resolves the file against
// fixtures/inventories/NAME (model rules).
//
// QCFG_UPDATE_GOLDENS=1 rewrites the expectations from what the linter reports (sidecars, and
// fixtures whose expectations are all absolute `# expect:` lines); docs/lint.md.
#pragma once

#include <string>
#include <vector>

namespace qcfg::lint::testing {

struct Fixture {
  std::string path;
  std::string rule_id;                // from the file name: QC004_... -> QC004
  std::string inventory;              // path, empty when none
  std::vector<std::string> targets;   // `# target: vllm` lines (serving-engine rules)
  std::vector<std::string> expected;  // "LINE:COL ID message"
  bool relative = false;              // some expectation is written `# expect@±N:`
};

std::string fixtures_dir();
std::vector<Fixture> load_fixtures();
// What the linter reports on the fixture, restricted to its rule, as "LINE:COL ID message".
std::vector<std::string> lint_fixture(const Fixture& f);

// Whether QCFG_UPDATE_GOLDENS is set (and not "0").
bool update_goldens();
// Rewrites f's expectations to `actual` (update mode); false when its expectations are relative
// (`# expect@±N:`, placed by hand).
bool rewrite_expectations(const Fixture& f, const std::vector<std::string>& actual);

}  // namespace qcfg::lint::testing
