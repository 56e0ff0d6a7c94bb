#include "compiler/value.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "compiler/json_writer.h"

using qcfg::Value;

TEST_CASE("python float repr matches CPython") {
  CHECK(qcfg::python_float_repr(4.5) == "4.5");
  CHECK(qcfg::python_float_repr(16.0) == "16.0");
  CHECK(qcfg::python_float_repr(2688.0) == "2688.0");
  CHECK(qcfg::python_float_repr(1e-05) == "1e-05");
  CHECK(qcfg::python_float_repr(1e16) == "1e+16");
  CHECK(qcfg::python_float_repr(1e15) == "1000000000000000.0");
  CHECK(qcfg::python_float_repr(0.0001) == "0.0001");
  CHECK(qcfg::python_float_repr(-0.5) == "-0.5");
  CHECK(qcfg::python_float_repr(0.1) == "0.1");
  CHECK(qcfg::python_float_repr(1.5e300) == "1.5e+300");
}

TEST_CASE("mapping keys follow Python equality: last value, first position") {
  Value m = Value::map();
  m.insert(Value::integer(1), Value::string("a"));
  m.insert(Value::string("x"), Value::integer(2));
  m.insert(Value::boolean(true), Value::string("b"));  // True == 1
  m.insert(Value::real(1.0), Value::string("c"));      // 1.0 == 1
  REQUIRE(m.size() == 2);
  CHECK(m.entries()[0].key.is_int());
  CHECK(m.entries()[0].value.as_string() == "c");
  m.insert(Value::string("1"), Value::integer(3));  // "1" != 1
  CHECK(m.size() == 3);
}

TEST_CASE("json output is json.dumps(indent=2, sort_keys=True)") {
  Value m = Value::map();
  m.set("type", Value::string("dynamic"));
  m.insert(Value::integer(-1), Value::integer(16));
  Value t = Value::tuple();
  t.push_back(Value::integer(4));
  t.push_back(Value::integer(3));
  m.set("scale_bits", t);
  m.set("e", Value::list());
  CHECK(qcfg::to_json(m) ==
        "{\n  \"-1\": 16,\n  \"e\": [],\n  \"scale_bits\": [\n    4,\n    3\n  ],\n"
        "  \"type\": \"dynamic\"\n}");
  CHECK(qcfg::to_json(Value::real(1.0 / 0.0)) == "Infinity");
  CHECK(qcfg::to_json(Value::big_integer("99999999999999999999")) == "99999999999999999999");
}

TEST_CASE("repr matches Python") {
  Value t = Value::tuple();
  t.push_back(Value::integer(4));
  CHECK(t.repr() == "(4,)");
  CHECK(Value::string("it's").repr() == "\"it's\"");
  CHECK(Value::null().repr() == "None");
  CHECK(Value::boolean(false).repr() == "False");
}

// The string writer scans 8 bytes at a time; each byte value, at each offset of words and tails,
// must be escaped exactly as json.dumps(ensure_ascii=False) does, byte by byte.
TEST_CASE("json strings: every byte at every position escaped as byte by byte") {
  const auto reference = [](const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        default:
          if (c < 0x20 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out += static_cast<char>(c);
          }
      }
    }
    return out + "\"";
  };
  size_t checked = 0;
  for (size_t len : {1u, 7u, 8u, 9u, 16u, 19u}) {
    for (size_t at = 0; at < len; ++at) {
      for (int b = 1; b < 256; ++b) {
        std::string s(len, 'a');
        s[at] = static_cast<char>(b);
        if (b % 7 == 0 && len > 1) s[(at + 5) % len] = '"';  // two escapes in one word
        std::string got;
        qcfg::append_json_string(got, s);
        if (got != reference(s)) {
          FAIL_CHECK("byte " << b << " at " << at << " of " << len << ": " << got);
        }
        ++checked;
      }
    }
  }
  CHECK(checked == 60 * 255);
  std::string got;
  qcfg::append_json_string(got, std::string("nul\0here", 8));
  CHECK(got == "\"nul\\u0000here\"");
}
