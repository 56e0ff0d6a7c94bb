#include "tests/lint/fixture.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
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

// `# expect@-N: COL ID message` on line `n`: "LINE:COL ID message" with LINE = n - N.
void read_relative(const std::string& line, int n, Fixture* f) {
  const std::string rest = after(line, "# expect@");
  const size_t colon = rest.find(':');
  if (rest.empty() || colon == std::string::npos) return;
  const int offset = std::stoi(rest.substr(0, colon));  // "-1", "+2"
  std::string e = rest.substr(colon + 1);
  while (!e.empty() && e.front() == ' ') e.erase(e.begin());
  f->expected.push_back(fmt::format("{}:{}", n + offset, e));
  f->relative = true;
}

bool is_absolute_expect(const std::string& line) {
  const size_t start = line.find_first_not_of(' ');
  return start != std::string::npos && line.compare(start, 9, "# expect:") == 0;
}

void read_directives(const std::string& text, bool sidecar, Fixture* f) {
  std::istringstream lines(text);
  int n = 0;
  for (std::string line; std::getline(lines, line);) {
    ++n;
    if (sidecar) {
      if (!line.empty()) f->expected.push_back(line);
      continue;
    }
    if (std::string e = after(line, "# expect:"); !e.empty()) f->expected.push_back(e);
    read_relative(line, n, f);
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

bool update_goldens() {
  const char* v = std::getenv("QCFG_UPDATE_GOLDENS");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

bool rewrite_expectations(const Fixture& f, const std::vector<std::string>& actual) {
  if (f.relative) return false;
  std::string text;
  const bool sidecar = fs::path(f.path).extension() == ".json";
  if (!sidecar) {
    // Keep every line but the absolute expectations, which are appended anew.
    std::istringstream lines(read_text(f.path));
    for (std::string line; std::getline(lines, line);)
      if (!is_absolute_expect(line)) text += line + "\n";
  }
  for (const std::string& a : actual) text += (sidecar ? "" : "# expect: ") + a + "\n";
  std::ofstream(sidecar ? f.path + ".expect" : f.path, std::ios::binary) << text;
  return true;
}

}  // namespace qcfg::lint::testing
