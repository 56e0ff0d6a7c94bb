// Sections 2.1 and 2.3 to 2.7: documents, keys, merge keys, aliases, tags, locations, limits.
#include <string>
#include <vector>

#include "tests/document/test_helpers.h"

namespace qcfg::test {

namespace {

std::vector<std::string> key_reprs(const Value& map) {
  std::vector<std::string> keys;
  for (const MapEntry& e : map.entries()) keys.push_back(e.key.repr());
  return keys;
}

}  // namespace

TEST_CASE("documents are counted as PyYAML counts them") {
  CHECK(yaml("").docs.empty());
  CHECK(yaml("# only a comment\n\n").docs.empty());
  const Doc lone = yaml("---\n");
  REQUIRE(lone.docs.size() == 1);
  CHECK(lone.docs[0].is_null());
  CHECK(yaml("--- \n...\n").docs.size() == 1);
  CHECK(yaml("a: 1\n...\n").docs.size() == 1);
  CHECK(yaml("a: 1\n---\nb: 2\n").docs.size() == 2);
  const Doc trailing = yaml("a: 1\n---\n");
  REQUIRE(trailing.docs.size() == 2);
  CHECK(trailing.docs[1].is_null());
  CHECK(yaml("a\n---\nb\n---\nc\n").docs.size() == 3);
  CHECK(yaml("a\n...\n---\nb\n").docs.size() == 2);
  CHECK(yaml("---\n...\n---\n...\n").docs.size() == 2);
  // PyYAML refuses '...' before any document and a document after '...' without '---'.
  CHECK(yaml_error("...\n").rule_id == "yaml-syntax");
  const Diagnostic d = yaml_error("- 1\n...\nb\n");
  CHECK(d.rule_id == "yaml-syntax");
  CHECK(d.loc.line == 3);
}

TEST_CASE("keys resolve like values and use Python equality") {
  const Value m = yaml_one("-1: x\non: y\n~: z\n1.5: w\n'1': q\n");
  REQUIRE(m.size() == 5);
  CHECK(m.entries()[0].key.is_int());
  CHECK(m.entries()[0].key.as_int() == -1);
  CHECK(m.entries()[1].key.is_bool());
  CHECK(m.entries()[1].key.as_bool());
  CHECK(m.entries()[2].key.is_null());
  CHECK(m.entries()[3].key.as_float() == 1.5);
  CHECK(m.entries()[4].key.is_string());
  // 1, 1.0 and true are one key: first position, last value.
  const Value same = yaml_one("1: a\n1.0: b\ntrue: c\n");
  REQUIRE(same.size() == 1);
  CHECK(same.entries()[0].key.is_int());
  CHECK(same.entries()[0].value.as_string() == "c");
}

TEST_CASE("duplicate keys: last value, first position") {
  const Value m = yaml_one("a: 1\nb: 2\na: 3\n");
  CHECK(key_reprs(m) == std::vector<std::string>{"'a'", "'b'"});
  CHECK(m.find("a")->as_int() == 3);
}

namespace {

// "key earlier-L:C later-L:C" for each duplicate the reader records.
std::vector<std::string> yaml_duplicates(const std::string& text) {
  SourceFile file{"t.yaml", "t.yaml", text};
  std::vector<DuplicateKey> found;
  read_yaml_documents(file, {}, &found);
  std::vector<std::string> out;
  for (const DuplicateKey& d : found) {
    CHECK(d.earlier.file == &file);
    CHECK(d.later.file == &file);
    out.push_back(d.key + " " + std::to_string(d.earlier.line) + ":" +
                  std::to_string(d.earlier.column) + " " + std::to_string(d.later.line) + ":" +
                  std::to_string(d.later.column));
  }
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("duplicate keys are recorded: later against the previous own occurrence") {
  CHECK(yaml_duplicates("a: 1\nb: 2\na: 3\n") == Strings{"a 1:1 3:1"});
  CHECK(yaml_duplicates("a: 1\na: 2\na: 3\n") == Strings{"a 1:1 2:1", "a 2:1 3:1"});
  CHECK(yaml_duplicates("m: {x: 1, 'x': 2}\n") == Strings{"x 1:5 1:11"});
  // Equal after resolution, as Python compares dict keys: 1 == 0x1 == 1.0 == True.
  CHECK(yaml_duplicates("1: a\n0x1: b\n") == Strings{"1 1:1 2:1"});
  CHECK(yaml_duplicates("'1': a\n1: b\n").empty());  // str '1' != int 1
  CHECK(yaml_duplicates("a: 1\nb: 2\n").empty());
  // Nested and in a second document.
  CHECK(yaml_duplicates("c:\n  n: 1\n  n: 2\n---\nd: 1\nd: 2\n") ==
        Strings{"n 2:3 3:3", "d 5:1 6:1"});
}

TEST_CASE("duplicate keys: merged keys are overridden, not duplicated; aliases count once") {
  CHECK(yaml_duplicates("b: &b {x: 1}\nm: {<<: *b, x: 2}\n").empty());
  CHECK(yaml_duplicates("b: &b {x: 1}\nc: &c {x: 2}\nm: {<<: [*b, *c]}\n").empty());
  CHECK(yaml_duplicates("b: &b {x: 1}\nc: &c {x: 2}\nm: {<<: *b, <<: *c}\n").empty());
  // Written twice beside a merge: still a duplicate, against the own key.
  CHECK(yaml_duplicates("b: &b {x: 1}\nm:\n  x: 2\n  <<: *b\n  x: 3\n") == Strings{"x 3:3 5:3"});
  // A duplicate inside an anchored mapping is one record however often it is aliased.
  CHECK(yaml_duplicates("b: &b {x: 1, x: 2}\nm: *b\nn: {<<: *b}\n") == Strings{"x 1:8 1:14"});
}

TEST_CASE("non-scalar keys are unhashable") {
  const Diagnostic list_key = yaml_error("x: 1\n? [1]\n: 2\n");
  CHECK(list_key.rule_id == "yaml-constructor");
  CHECK(list_key.loc.line == 2);
  CHECK(list_key.loc.column == 3);
  CHECK(yaml_error("? {a: 1}\n: 2\n").rule_id == "yaml-constructor");
  CHECK(yaml_error("? !!set {a}\n: 2\n").rule_id == "yaml-constructor");
  CHECK(yaml_one("? !!binary aGk=\n: 1\n").entries()[0].key.repr() == "b'hi'");
}

TEST_CASE("merge keys: merged pairs first, own keys win") {
  const Value doc = yaml_one("b: &b {x: 1, y: 2}\nm: {w: 0, <<: *b}\n");
  const Value& m = *doc.find("m");
  CHECK(key_reprs(m) == std::vector<std::string>{"'x'", "'y'", "'w'"});
  const Value own = *yaml_one("a: &a {x: 1}\nm:\n  x: 5\n  <<: *a\n").find("m");
  CHECK(own.find("x")->as_int() == 5);
  CHECK(own.size() == 1);
}

TEST_CASE("merge keys: for a list the earlier mapping wins, the last one's keys come first") {
  const Value m =
      *yaml_one("a: &a {x: 1, y: 1}\nb: &b {y: 2, z: 2}\nm:\n  <<: [*a, *b]\n  w: 0\n").find("m");
  CHECK(key_reprs(m) == std::vector<std::string>{"'y'", "'z'", "'x'", "'w'"});
  CHECK(m.find("y")->as_int() == 1);
  CHECK(m.find("z")->as_int() == 2);
}

TEST_CASE("merge keys: nested merges, quoted '<<', errors") {
  const Value m = *yaml_one("a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nm: {<<: *b}\n").find("m");
  CHECK(key_reprs(m) == std::vector<std::string>{"'x'", "'y'"});
  CHECK(yaml_one("'<<': {a: 1}\n").has("<<"));
  CHECK(yaml_error("m: {<<: 1}").rule_id == "yaml-constructor");
  const Diagnostic d = yaml_error("m: {<<: [{a: 1}, 2]}");
  CHECK(d.rule_id == "yaml-constructor");
  CHECK(d.loc.column == 18);
}

TEST_CASE("aliases are deep copies located at their anchor, the root at the alias") {
  const Value doc = yaml_one("a: &x\n  k: [1, 2]\nb: *x\n");
  const Value& b = *doc.find("b");
  CHECK(python_equal(b, *doc.find("a")));
  CHECK(b.loc().line == 3);
  CHECK(b.loc().column == 4);
  CHECK(b.find("k")->loc().line == 2);
  const Value list = yaml_one("[&v 7, *v, *v]");
  CHECK(list.items().at(2).as_int() == 7);
}

TEST_CASE("alias errors: cycles, undefined and duplicate anchors") {
  const Diagnostic cycle = yaml_error("a: &a\n  - 1\n  - *a\n");
  CHECK(cycle.rule_id == "yaml-alias");
  CHECK(cycle.loc.line == 3);
  CHECK(cycle.loc.column == 5);
  CHECK(yaml_error("a: &a {b: *a}").rule_id == "yaml-alias");
  CHECK(yaml_error("k: [*nope]").rule_id == "yaml-alias");
  const Diagnostic dup = yaml_error("a: &x 1\nb: &x 2\n");
  CHECK(dup.rule_id == "yaml-alias");
  CHECK(dup.loc.line == 2);
  // Anchors are per document.
  CHECK(yaml("a: &x 1\n---\nb: &x 2\n").docs.size() == 2);
}

TEST_CASE("billion laughs fails fast on the node limit") {
  std::string text = "l0: &l0 [a, a, a, a, a, a, a, a, a, a]\n";
  for (int i = 1; i <= 9; ++i) {
    text += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) text += (k ? ", *l" : "*l") + std::to_string(i - 1);
    text += "]\n";
  }
  const Diagnostic d = yaml_error(text);
  CHECK(d.rule_id == "yaml-limit");
  CHECK(d.loc.line > 1);
  ReadLimits small;
  small.max_nodes = 100;
  CHECK(yaml_error("a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\nb: [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
                   small)
            .rule_id == "yaml-limit");
}

TEST_CASE("depth and size limits") {
  ReadLimits limits;
  limits.max_depth = 3;
  CHECK(yaml("a: {b: {c: 1}}", limits).docs.size() == 1);
  const Diagnostic deep = yaml_error("a: {b: {c: {d: 1}}}", limits);
  CHECK(deep.rule_id == "yaml-limit");
  CHECK(deep.loc.column == 12);
  // Aliases count at their expanded depth.
  CHECK(yaml_error("x: &x {b: {c: 1}}\ny: [*x]", limits).rule_id == "yaml-limit");
  ReadLimits bytes;
  bytes.max_bytes = 8;
  CHECK(yaml_error("a: 123456789", bytes).rule_id == "yaml-limit");
  CHECK(yaml_error(std::string(3000, '[')).rule_id == "yaml-limit");
}

TEST_CASE("a nesting error points at the node nested too deep, inside the file") {
  // yaml-cpp's own depth guard fires before qcfg's limit for flow collections, with a mark at
  // the end of the scan (past the last line): the error must still name a place in the text.
  for (const std::string& text :
       {std::string(600, '[') + std::string(600, ']') + "\n", "a: " + std::string(3000, '[') + "\n",
        "a:\n  b: " + std::string(700, '{') + "\n"}) {
    CAPTURE(text.size());
    const Diagnostic d = yaml_error(text);
    CHECK(d.rule_id == "yaml-limit");
    std::vector<std::string> lines;
    for (size_t at = 0, nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1)
      lines.push_back(text.substr(at, nl - at));
    REQUIRE(d.loc.line >= 1);
    REQUIRE(d.loc.line <= lines.size());
    const std::string& line = lines[d.loc.line - 1];
    REQUIRE(d.loc.column >= 1);
    REQUIRE(d.loc.column <= line.size());
    CHECK((line[d.loc.column - 1] == '[' || line[d.loc.column - 1] == '{'));
  }
}

TEST_CASE("collection tags and unknown tags") {
  const Value omap = *yaml_one("a: !!omap [{x: 1}, {y: 2}]").find("a");
  REQUIRE(omap.is_list());
  CHECK(omap.items().at(0).is_tuple());
  CHECK(omap.repr() == "[('x', 1), ('y', 2)]");
  CHECK(yaml_one("a: !!pairs [{x: 1}, {x: 2}]").find("a")->repr() == "[('x', 1), ('x', 2)]");
  const Value set = *yaml_one("a: !!set {p, q}").find("a");
  CHECK(set.python_type() == "set");
  CHECK(set.repr() == "{'p', 'q'}");
  CHECK(yaml_one("a: !!seq [1]").find("a")->is_list());
  CHECK(yaml_one("a: !!map {b: 1}").find("a")->is_map());
  const Diagnostic foo = yaml_error("a: 1\nb: !foo x\n");
  CHECK(foo.rule_id == "yaml-constructor");
  CHECK(foo.loc.line == 2);
  CHECK(foo.loc.column == 4);
  CHECK(yaml_error("!!python/tuple [1, 2]").rule_id == "yaml-constructor");
  CHECK(yaml_error("a: !!seq {b: 1}").rule_id == "yaml-constructor");
  CHECK(yaml_error("a: !!int [1]").rule_id == "yaml-constructor");
  CHECK(yaml_error("a: !!omap [{x: 1, y: 2}]").rule_id == "yaml-constructor");
}

TEST_CASE("every node carries file:line:col") {
  const Doc d = yaml("root:\n  list:\n    - 1\n    - {k: v}\n");
  const Value& root = d.docs.at(0);
  CHECK(root.loc().file == d.file.get());
  CHECK(root.loc().line == 1);
  const Value& list = *root.find("root")->find("list");
  CHECK(list.loc().line == 3);
  CHECK(list.loc().column == 5);
  CHECK(list.items()[1].loc().column == 7);
  const MapEntry& e = list.items()[1].entries()[0];
  CHECK(e.key.loc().line == 4);
  CHECK(e.key.loc().column == 8);
  CHECK(e.value.loc().column == 11);
  CHECK(e.value.loc().str() == "t.yaml:4:11");
}

TEST_CASE("syntax and encoding errors are located") {
  const Diagnostic d = yaml_error("a: 1\nkey: \"unterminated");
  CHECK(d.rule_id == "yaml-syntax");
  CHECK(d.loc.line == 2);
  CHECK(d.message.find("quoted") != std::string::npos);
  const Diagnostic indent = yaml_error("x: 1\n  y: 2\n");
  CHECK(indent.rule_id == "yaml-syntax");
  CHECK(indent.loc.line == 2);
  const Diagnostic utf8 = yaml_error("a: 1\nb: \xff\n");
  CHECK(utf8.rule_id == "yaml-encoding");
  CHECK(utf8.loc.line == 2);
  CHECK(utf8.loc.column == 4);
  CHECK(yaml_error("a: \x01").rule_id == "yaml-encoding");
  CHECK(yaml_one("\xc3\xa9: x").entries()[0].key.as_string() == "\xc3\xa9");
}

}  // namespace qcfg::test
