// The rule engine's parts: glob subsumption, suppression comments, rule selection, fixes and
// their unified diff, and the rule registry's metadata.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include "compiler/unified_diff.h"
#include "lint/fix.h"
#include "lint/glob_subsume.h"
#include "lint/linter.h"
#include "lint/suppress.h"
#include "resolver/fnmatch.h"

using namespace qcfg;
using namespace qcfg::lint;

TEST_CASE("glob subsumption is sound on fnmatch patterns") {
  CHECK(glob_subsumes("*", "*weight_quantizer"));
  // fnmatch("xé", "x??") is false: é is one character, not two bytes (no false QC005).
  CHECK(!glob_subsumes("x??", "xé"));
  CHECK(glob_subsumes("x?", "xé"));
  CHECK(glob_subsumes("*weight_quantizer", "*mlp*weight_quantizer"));
  CHECK(glob_subsumes("*mlp*", "*mlp.experts*weight_quantizer"));
  CHECK(glob_subsumes("*[kv]_bmm_quantizer", "*k_bmm_quantizer"));
  CHECK(glob_subsumes("*[kv]_bmm_quantizer", "*[kv]_bmm_quantizer"));
  CHECK(glob_subsumes("*?_proj*", "*q_proj*"));
  CHECK(glob_subsumes("*layers.[0-9]*", "*layers.3.*"));
  CHECK_FALSE(glob_subsumes("*weight_quantizer", "*"));
  CHECK_FALSE(glob_subsumes("*mlp*weight_quantizer", "*weight_quantizer"));
  CHECK_FALSE(glob_subsumes("*k_bmm_quantizer", "*[kv]_bmm_quantizer"));
  CHECK_FALSE(glob_subsumes("*proj*", "*down*"));
  CHECK_FALSE(glob_subsumes("?", "*"));
  CHECK_FALSE(glob_subsumes("*[!0-9]*", "*3*"));
  CHECK(glob_subsumes("a[", "a["));  // an unclosed bracket is a literal
}

// The subsumption test reasons on the resolver's fnmatch tokens (one tokenizer): CPython 3.11's
// bracket rules (ranges cut at '-', empty ranges dropped, a trailing '-' a member) come from
// there, and a proof is never contradicted by fnmatch itself.
TEST_CASE("glob subsumption uses fnmatch's own sets and never contradicts fnmatch") {
  CHECK(glob_subsumes("[a-c-e]", "-"));
  CHECK(glob_subsumes("[z-a-c]", "-"));  // z-a is empty and dropped: the set is {'-', c}
  CHECK_FALSE(glob_subsumes("[z-a-c]", "a"));
  CHECK(glob_subsumes("[a-]", "-"));
  CHECK(glob_subsumes("x[!é]", "xa"));
  CHECK_FALSE(glob_subsumes("x[!é]", "xé"));
  const char* patterns[] = {"*",       "x??",  "x?",    "xé", "x[é]",  "x[!é]",  "[a-c-e]",
                            "[z-a-c]", "[a-]", "-",     "a",  "c",     "*[kv]*", "*k*",
                            "[]a]",    "]",    "[!]a]", "b",  "[--0]", ".",      "a["};
  const char* names[] = {"x", "xé", "xa", "xab", "xéa", "-", "a", "b", "c",  "d",
                         "e", "]",  "k",  "v",   "kv",  ".", "/", "0", "a[", ""};
  for (const char* g : patterns) {
    for (const char* s : patterns) {
      if (!glob_subsumes(g, s)) continue;
      for (const char* n : names) {
        CAPTURE(g);
        CAPTURE(s);
        CAPTURE(n);
        if (resolver::fnmatch(n, s)) CHECK(resolver::fnmatch(n, g));
      }
    }
  }
}

TEST_CASE("suppression comments name ids or names, on the line or the line before") {
  SourceManager sources;
  const SourceFile* f = sources.add("x.yaml", "x.yaml",
                                    "quant_cfg:\n"
                                    "  # qcfg: ignore[QC005, cfg-enable-ignored]\n"
                                    "  - quantizer_name: a  # qcfg: ignore[QC018]\n"
                                    "    cfg: b#qcfg: ignore[QC007]\n");
  CHECK(suppressed_at(*f, 3, "QC005", "shadowed-entry"));
  CHECK(suppressed_at(*f, 3, "QC004", "cfg-enable-ignored"));
  CHECK(suppressed_at(*f, 3, "QC018", "implicit-enable-toggle"));
  CHECK(suppressed_at(*f, 4, "QC018", "implicit-enable-toggle"));  // the line before
  CHECK_FALSE(suppressed_at(*f, 4, "QC007", "unmatched-entry"));   // `#` inside a scalar
  CHECK_FALSE(suppressed_at(*f, 1, "QC005", "shadowed-entry"));
  CHECK_FALSE(suppressed_at(*f, 3, "QC00", ""));
}

TEST_CASE("rules are selected by id, name or id prefix; unknown selectors are errors") {
  LintOptions o;
  o.select = {"QC01"};
  o.ignore = {"rotate-embedding"};
  Linter l(o);
  std::set<std::string> ids;
  for (const Rule* r : l.selected_rules()) ids.insert(r->info().id);
  CHECK(ids.count("QC010") == 1);
  CHECK(ids.count("QC011") == 0);
  CHECK(ids.count("QC005") == 0);
  LintOptions bad;
  bad.select = {"QC999"};
  CHECK_THROWS_AS(Linter{bad}, std::invalid_argument);
}

TEST_CASE("fixes apply in one pass, overlapping ones are skipped whole") {
  SourceManager sources;
  const SourceFile* f = sources.add("f.yaml", "f.yaml", "abc def ghi\n");
  auto finding = [&](size_t b, size_t e, std::string r) {
    Finding x;
    x.fix = Fix{"t", {TextEdit{f, b, e, std::move(r)}}};
    return x;
  };
  const auto fixed = apply_fixes({finding(0, 3, "ABC"), finding(8, 11, "GHI"), finding(2, 5, "")});
  REQUIRE(fixed.count(f) == 1);
  CHECK(fixed.at(f).text == "ABC def GHI\n");
  CHECK(fixed.at(f).applied == 2);
  CHECK(fixed.at(f).skipped == 1);
  CHECK(offset_of(*f, 1, 5) == 4);
}

TEST_CASE("lint --fix --diff uses the one diff writer: three lines of context, diff -u headers") {
  std::string before, after;
  for (int i = 1; i <= 12; ++i) {
    before += "line " + std::to_string(i) + "\n";
    after += (i == 6 ? std::string("LINE 6") : "line " + std::to_string(i)) + "\n";
  }
  CHECK(unified_diff(before, before, "x.yaml").empty());
  CHECK(unified_diff(before, after, "x.yaml") ==
        "--- a/x.yaml\n+++ b/x.yaml\n@@ -3,7 +3,7 @@\n line 3\n line 4\n line 5\n-line 6\n"
        "+LINE 6\n line 7\n line 8\n line 9\n");
  // A one-line range is written without its count, as GNU diff -u writes it (the lint copy of
  // the writer used to print `-1,1`).
  CHECK(unified_diff("a\n", "a\nb", "y") ==
        "--- a/y\n+++ b/y\n@@ -1 +1,2 @@\n a\n+b\n"
        "\\ No newline at end of file\n");
}

TEST_CASE("rule metadata: unique ids and kebab-case names, every field written") {
  std::set<std::string> ids, names;
  const std::regex id("QC[0-9]{3}"), name("[a-z0-9]+(-[a-z0-9]+)*");
  for (const Rule* r : all_rules()) {
    const RuleInfo& i = r->info();
    CAPTURE(i.id);
    CHECK(std::regex_match(i.id, id));
    CHECK(std::regex_match(i.name, name));
    CHECK(ids.insert(i.id).second);
    CHECK(names.insert(i.name).second);
    CHECK_FALSE(i.summary.empty());
    CHECK(i.doc.size() > 100);
    CHECK_FALSE(i.bad.empty());
    CHECK_FALSE(i.good.empty());
    CHECK(i.bad != i.good);
  }
  CHECK(all_rules().size() >= 20);
}

TEST_CASE("the rule list: every rule file listed once, in id order, with the id of its file") {
  std::vector<std::string> files;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(QCFG_SOURCE_DIR) + "/lint/rules")) {
    const std::string f = e.path().filename().string();
    if (f.size() > 6 && f.rfind("QC", 0) == 0 && f.ends_with(".cpp"))
      files.push_back(f.substr(0, 5));
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> listed;
  for (const Rule* r : all_rules()) listed.push_back(r->info().id);
  CHECK(listed == files);
}
