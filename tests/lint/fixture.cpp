#include "tests/lint/fixture.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lint/linter.h"
#include "tests/lint/test_util.h"

namespace qcfg::lint::testing {
namespace {

namespace fs = std::filesystem;

std::string after(const std::string& line, const std::string& marker) {
  const size_t at = line.find(marker);
  if (at == std::string::npos) return "";
  std::string rest = line.substr(at + marker.size());
  while (!rest.empty() && rest.front() == ' ') rest.erase(rest.begin());
  return rest;
}

void read_directives(const std::string& text, bool sidecar, Fixture* f) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (sidecar) {
      if (!line.empty()) f->expected.push_back(line);
      continue;
    }
    if (std::string e = after(line, "# expect:"); !e.empty()) f->expected.push_back(e);
    if (std::string inv = after(line, "# inventory:"); !inv.empty())
      f->inventory = (fs::path(fixtures_dir()) / "inventories" / inv).string();
    if (std::string t = after(line, "# target:"); !t.empty()) f->targets.push_back(t);
  }
}

}  // namespace

std::string fixtures_dir() { return std::string(QCFG_SOURCE_DIR) + "/tests/lint/fixtures"; }

std::vector<Fixture> load_fixtures() {
  std::vector<Fixture> out;
  for (const auto& e : fs::directory_iterator(fixtures_dir())) {
    const fs::path p = e.path();
    const std::string ext = p.extension().string();
    if (!e.is_regular_file() || (ext != ".yaml" && ext != ".json")) continue;
    Fixture f;
    f.path = p.string();
    f.rule_id = p.filename().string().substr(0, 5);
    read_directives(read_text(p), false, &f);
    if (ext == ".json") read_directives(read_text(p.string() + ".expect"), true, &f);
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  return out;
}

std::vector<std::string> lint_fixture(const Fixture& f) {
  LintOptions options;
  options.select = {f.rule_id};
  resolver::Inventory inventory;
  if (!f.inventory.empty()) {
    inventory = resolver::load_inventory_file(f.inventory);
    options.inventory = &inventory;
  }
  options.targets = f.targets;
  Linter linter(options);
  std::vector<std::string> out;
  for (const Finding& finding : linter.lint_file(f.path).findings) {
    const Diagnostic& d = finding.diag;
    out.push_back(fmt::format("{}:{} {} {}", d.loc.line, d.loc.column, d.rule_id, d.message));
  }
  return out;
}

}  // namespace qcfg::lint::testing
