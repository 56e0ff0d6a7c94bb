// Lint fixtures (tests/lint/fixtures): a config file whose name starts with the rule id it
// tests, with its expected findings in comment lines at the end (`# expect: LINE:COL ID
// message`) or, for JSON, in a sidecar `<file>.expect` holding the same lines without `# expect:`.
// `# inventory: NAME` resolves the file against fixtures/inventories/NAME (model rules).
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
};

std::string fixtures_dir();
std::vector<Fixture> load_fixtures();
// What the linter reports on the fixture, restricted to its rule, as "LINE:COL ID message".
std::vector<std::string> lint_fixture(const Fixture& f);

}  // namespace qcfg::lint::testing
