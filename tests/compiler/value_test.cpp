#include <doctest/doctest.h>

#include "compiler/json_writer.h"
#include "compiler/value.h"

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
