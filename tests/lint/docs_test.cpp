// docs/rules/ holds exactly one page per rule, equal to what the rule's metadata renders
// (`qcfg lint --explain ID`). After changing a rule, regenerate its page with
// `qcfg lint --explain ID > docs/rules/<ID>-<name>.md`.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "lint/emit.h"
#include "tests/lint/test_util.h"

namespace fs = std::filesystem;
using namespace qcfg::lint;
using qcfg::lint::testing::read_text;

TEST_CASE("docs/rules is in sync with the rule metadata") {
  const fs::path dir = fs::path(QCFG_SOURCE_DIR) / "docs" / "rules";
  std::set<std::string> expected;
  for (const Rule* r : all_rules()) {
    const std::string page = rule_page_name(r->info());
    expected.insert(page);
    CAPTURE(page);
    REQUIRE(fs::exists(dir / page));
    CHECK(read_text(dir / page) == render_rule_page(r->info()));
  }
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (name == "README.md") continue;
    CAPTURE(name);
    CHECK(expected.count(name) == 1);  // no page for a rule that does not exist
  }
}

TEST_CASE("docs/lint.md lists every rule with a link to its page") {
  const std::string text = read_text(fs::path(QCFG_SOURCE_DIR) / "docs" / "lint.md");
  for (const Rule* r : all_rules()) {
    const std::string link = "[" + r->info().id + "](rules/" + rule_page_name(r->info()) + ")";
    CAPTURE(link);
    CHECK(text.find(link) != std::string::npos);
  }
}
