// Every fixture under tests/lint/fixtures gives exactly its expected findings (line, column,
// rule id, message), and every rule has at least one fixture with a finding.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "lint/linter.h"
#include "lint/rule.h"
#include "tests/lint/fixture.h"

using namespace qcfg::lint;

TEST_CASE("each fixture gives exactly its expected findings") {
  const std::vector<testing::Fixture> fixtures = testing::load_fixtures();
  REQUIRE(fixtures.size() > 30);
  for (const testing::Fixture& f : fixtures) {
    CAPTURE(f.path);
    REQUIRE(find_rule(f.rule_id) != nullptr);
    const std::vector<std::string> actual = testing::lint_fixture(f);
    if (testing::update_goldens() && actual != f.expected) {
      CHECK_MESSAGE(testing::rewrite_expectations(f, actual),
                    "relative `# expect@` lines are updated by hand");
      continue;
    }
    CHECK(actual == f.expected);
  }
}

TEST_CASE("every rule has a fixture that triggers it") {
  std::set<std::string> covered;
  for (const testing::Fixture& f : testing::load_fixtures()) {
    for (const std::string& e : f.expected) {
      const size_t space = e.find(' ');
      covered.insert(e.substr(space + 1, 5));
    }
  }
  for (const Rule* r : all_rules()) {
    CAPTURE(r->info().id);
    CHECK(covered.count(r->info().id) == 1);
  }
}

TEST_CASE("each rule's documented bad example triggers it and its good example does not") {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("qcfg-lint-examples-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const Rule* r : all_rules()) {
    const RuleInfo& info = r->info();
    if (info.needs_model) continue;  // their examples describe a model in a comment
    CAPTURE(info.id);
    LintOptions options;
    options.select = {info.id};
    Linter linter(options);
    const fs::path bad = dir / (info.id + "_bad.yaml"), good = dir / (info.id + "_good.yaml");
    std::ofstream(bad) << info.bad;
    std::ofstream(good) << info.good;
    CHECK_FALSE(linter.lint_file(bad.string()).findings.empty());
    CHECK(linter.lint_file(good.string()).findings.empty());
  }
  fs::remove_all(dir);
}
