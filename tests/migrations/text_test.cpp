// Unit tests of the migrator's text machinery: node ends, comments, re-indentation, diffs.
#include <doctest/doctest.h>

#include "migrations/entry_plan.h"
#include "migrations/source_text.h"
#include "compiler/unified_diff.h"

namespace qcfg::migrations {

TEST_CASE("scalar ends: quoted, plain, block and flow context") {
  const SourceText t("a: 'it''s' # c\nb: \"x\\\"y\", z\nc: plain text  # note\nd: [1, {e: 2}]\n");
  CHECK(t.scalar_end(3, false) == 10);  // 'it''s'
  CHECK(t.text().substr(18, t.scalar_end(18, true) - 18) == "\"x\\\"y\"");
  const size_t plain = t.text().find("plain");
  CHECK(t.text().substr(plain, t.scalar_end(plain, false) - plain) == "plain text");
  CHECK(t.scalar_end(0, false) == 1);  // key `a` ends before ':'
  const size_t list = t.text().find('[');
  CHECK(t.text().substr(list, t.flow_node_end(list) - list) == "[1, {e: 2}]");
}

TEST_CASE("flow collections skip brackets inside quotes and comments") {
  const SourceText t("{a: ']', b: [\"}\"], # }\n c: 1}\nnext");
  CHECK(t.flow_node_end(0) == t.text().find("\nnext"));
}

TEST_CASE("block nodes end at their last content line, before trailing comments") {
  const std::string text = "k:\n  a: 1\n  b: 2  # two\n\n  # about next\nnext: 3\n";
  const SourceText t(text);
  const size_t a = text.find("a: 1");
  const size_t limit = text.find("next:");
  CHECK(text.substr(a, t.block_end(a, limit) - a) == "a: 1\n  b: 2  # two");
}

TEST_CASE("locations, lines and comments") {
  const std::string text = "x: 1\n  # first\n\n  # second\ny: 2  # tail\n";
  const SourceText t(text);
  CHECK(t.offset(SourceLocation{nullptr, 5, 1}) == text.find("y:"));
  CHECK(t.offset(SourceLocation{nullptr, 9, 1}) == kNoOffset);
  const auto comments = t.comment_lines(5, text.find("y:"));
  REQUIRE(comments.size() == 2);
  CHECK(comments[0] == "# first");
  CHECK(comments[1] == "# second");
  CHECK(t.has_blank_line(5, text.find("y:")));
  CHECK(t.trailing_comment(text.find("2  #") + 1) == "# tail");
  CHECK(t.document_end(0) == text.size());
  const SourceText two("a: 1\n---\n- b\n");
  CHECK(two.document_end(0) == 5);
}

TEST_CASE("reindent keeps relative indentation and empties blank lines") {
  CHECK(reindent("    a: 1\n    b:\n      - c\n  \n    d", 4, 8) ==
        "        a: 1\n        b:\n          - c\n\n        d");
  CHECK(reindent("  # shallow comment\n    a: 1", 4, 2) == "  # shallow comment\n  a: 1");
}

TEST_CASE("unified diff: hunks with context, exit-worthy only when texts differ") {
  CHECK(unified_diff("a\nb\n", "a\nb\n", "f.yaml").empty());
  const std::string before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
  const std::string after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n10\n";
  CHECK(unified_diff(before, after, "f.yaml") ==
        "--- a/f.yaml\n+++ b/f.yaml\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
  CHECK(unified_diff("a", "b", "x") ==
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n"
        "\\ No newline at end of file\n");
  // Two changes far apart make two hunks.
  std::string many, changed;
  for (int i = 0; i < 30; ++i) {
    many += std::to_string(i) + "\n";
    changed += (i == 2 || i == 25 ? "x" : std::to_string(i)) + "\n";
  }
  const std::string d = unified_diff(many, changed, "m");
  CHECK(d.find("@@ -1,6 +1,6 @@") != std::string::npos);
  CHECK(d.find("@@ -23,7 +23,7 @@") != std::string::npos);
}

}  // namespace qcfg::migrations
