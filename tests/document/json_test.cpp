// read_json: Python json.loads semantics with locations.
#include <cmath>

#include "tests/document/test_helpers.h"

namespace qcfg::test {

namespace {

Value json(const std::string& text) {
  static std::vector<std::unique_ptr<SourceFile>> files;  // outlive the returned values
  files.push_back(std::make_unique<SourceFile>(SourceFile{"t.json", "t.json", text}));
  return read_json(*files.back());
}

}  // namespace

TEST_CASE("JSON scalars") {
  CHECK(json("null").is_null());
  CHECK(json("true").as_bool());
  CHECK(json(" 42 ").as_int() == 42);
  CHECK(json("-0").as_int() == 0);
  CHECK(json("1.5").as_float() == 1.5);
  CHECK(json("1e3").is_float());
  CHECK(json("1E+3").as_float() == 1000.0);
  CHECK(json("1e400").as_float() == INFINITY);
  CHECK(json("\"yes\"").is_string());
  CHECK(json("\"e4m3\"").as_string() == "e4m3");
}

TEST_CASE("JSON non-finite literals as Python accepts them") {
  CHECK(std::isnan(json("NaN").as_float()));
  CHECK(json("Infinity").as_float() == INFINITY);
  CHECK(json("[-Infinity]").items()[0].as_float() == -INFINITY);
  CHECK(json_error("nan").rule_id == "json-syntax");
  CHECK(json_error("+1").rule_id == "json-syntax");
}

TEST_CASE("JSON big integers are exact") {
  const Value v = json("{\"num_bits\": 99999999999999999999}");
  CHECK(v.find("num_bits")->is_big_int());
  CHECK(v.find("num_bits")->int_text() == "99999999999999999999");
  CHECK(json("-9223372036854775809").int_text() == "-9223372036854775809");
  CHECK(json("9223372036854775807").as_int() == INT64_MAX);
  CHECK(json_error(std::string(4301, '7')).rule_id == "json-limit");
}

TEST_CASE("JSON duplicate keys are recorded, later against the previous occurrence") {
  SourceFile file{"t.json", "t.json", "{\"a\": 1,\n \"b\": {\"n\": 1, \"n\": 2},\n \"a\": 3}"};
  std::vector<DuplicateKey> found;
  read_json(file, {}, &found);
  REQUIRE(found.size() == 2);
  CHECK(found[0].key == "n");
  CHECK(found[0].earlier.line == 2);
  CHECK(found[0].earlier.column == 8);
  CHECK(found[0].later.column == 16);
  CHECK(found[1].key == "a");
  CHECK(found[1].earlier.line == 1);
  CHECK(found[1].earlier.column == 2);
  CHECK(found[1].later.line == 3);
  CHECK(found[1].later.column == 2);
  CHECK(found[1].later.file == &file);
}

TEST_CASE("JSON duplicate keys: last value, first position") {
  const Value m = json("{\"a\": 1, \"b\": 2, \"a\": 3}");
  REQUIRE(m.size() == 2);
  CHECK(m.entries()[0].key.as_string() == "a");
  CHECK(m.entries()[0].value.as_int() == 3);
  CHECK(m.entries()[1].key.as_string() == "b");
}

TEST_CASE("JSON strings and escapes") {
  CHECK(json(R"("a\"b\\c\/\n\t")").as_string() == "a\"b\\c/\n\t");
  CHECK(json(R"("\u00e9")").as_string() == "\xc3\xa9");
  CHECK(json(R"("\ud83d\ude00")").as_string() == "\xf0\x9f\x98\x80");
  CHECK(json(R"("\ud800")").as_string() == "\xed\xa0\x80");  // lone surrogate kept (WTF-8)
  CHECK(json("\"\xc3\xa9\"").as_string() == "\xc3\xa9");
  CHECK(json_error(R"("\x")").rule_id == "json-syntax");
  CHECK(json_error(R"("\u12")").rule_id == "json-syntax");
  CHECK(json_error("\"a\tb\"").rule_id == "json-syntax");
  CHECK(json_error("\"abc").rule_id == "json-syntax");
}

TEST_CASE("JSON errors are located") {
  const Diagnostic extra = json_error("{\"a\": 1}\n  x");
  CHECK(extra.rule_id == "json-syntax");
  CHECK(extra.loc.line == 2);
  CHECK(extra.loc.column == 3);
  const Diagnostic comma = json_error("{\n  \"a\": [1, 2,]\n}");
  CHECK(comma.loc.line == 2);
  CHECK(comma.loc.column == 14);  // the ']' where a value was expected
  CHECK(json_error("{\"a\": 1,}").rule_id == "json-syntax");
  CHECK(json_error("{'a': 1}").rule_id == "json-syntax");
  CHECK(json_error("01").rule_id == "json-syntax");
  CHECK(json_error("1.").rule_id == "json-syntax");
  CHECK(json_error("").rule_id == "json-syntax");
  CHECK(json_error("\xEF\xBB\xBF{}").rule_id == "json-syntax");
  const Diagnostic bad = json_error("{\"a\": \"\xc3\"}");
  CHECK(bad.rule_id == "json-encoding");
  CHECK(bad.loc.column == 8);
}

TEST_CASE("JSON values carry locations") {
  static const SourceFile file{"t.json", "t.json",
                               "{\n  \"q\": {\"num_bits\": 8},\n  \"l\": [1]\n}"};
  const Value v = read_json(file);
  CHECK(v.loc().line == 1);
  const MapEntry& q = v.entries()[0];
  CHECK(q.key.loc().line == 2);
  CHECK(q.key.loc().column == 3);
  CHECK(q.value.loc().column == 8);
  CHECK(q.value.find("num_bits")->loc().column == 21);
  CHECK(v.find("l")->items()[0].loc().str() == "t.json:3:9");
}

TEST_CASE("JSON limits") {
  ReadLimits limits;
  limits.max_depth = 2;
  static const SourceFile ok{"t.json", "t.json", "[[1]]"};
  CHECK(read_json(ok, limits).is_list());
  CHECK(json_error("[[[1]]]", limits).rule_id == "json-limit");
  CHECK(json_error("[[[1]]]", limits).loc.column == 3);
  limits = {};
  limits.max_nodes = 3;
  CHECK(json_error("[1, 2, 3]", limits).rule_id == "json-limit");
  limits = {};
  limits.max_bytes = 2;
  CHECK(json_error("[1]", limits).rule_id == "json-limit");
}

}  // namespace qcfg::test
