// Section 2.2: implicit resolution of plain scalars, and section 2.6 scalar tags.
#include <cmath>

#include "tests/document/test_helpers.h"

namespace qcfg::test {

TEST_CASE("YAML 1.1 booleans: only the listed spellings") {
  for (const char* t : {"yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}) {
    CAPTURE(t);
    const Value v = scalar(t);
    CHECK(v.is_bool());
    CHECK(v.as_bool());
  }
  for (const char* f : {"no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}) {
    CAPTURE(f);
    const Value v = scalar(f);
    CHECK(v.is_bool());
    CHECK_FALSE(v.as_bool());
  }
  for (const char* s : {"y", "Y", "n", "N", "yES", "tRUE", "oN"}) {
    CAPTURE(s);
    const Value v = scalar(s);
    CHECK(v.is_string());
    CHECK(v.as_string() == s);
  }
}

TEST_CASE("nulls: ~ null Null NULL and empty; nUll is a string") {
  for (const char* n : {"~", "null", "Null", "NULL", ""}) {
    CAPTURE(n);
    CHECK(scalar(n).is_null());
  }
  CHECK(scalar("nUll").is_string());
  CHECK(scalar("'null'").is_string());
}

TEST_CASE("integers: decimal, octal, hex, binary, base 60, underscores") {
  struct Case {
    const char* text;
    int64_t value;
  };
  for (const Case& c : {Case{"0", 0}, Case{"-0", 0}, Case{"1_000", 1000}, Case{"010", 8},
                        Case{"0_7", 7}, Case{"00", 0}, Case{"0x_1f", 31}, Case{"+0x1F", 31},
                        Case{"0b101", 5}, Case{"-0b11", -3}, Case{"1:30", 90}, Case{"1:2:3", 3723},
                        Case{"190:20:30", 685230}, Case{"-42", -42}, Case{"1__0", 10}}) {
    CAPTURE(c.text);
    const Value v = scalar(c.text);
    REQUIRE(v.is_int());
    CHECK_FALSE(v.is_big_int());
    CHECK(v.as_int() == c.value);
  }
  for (const char* s : {"08", "0o17", "0X1F", "0:30", "1:60", "1e3", "12e3", "1e+3", "+", "_"}) {
    CAPTURE(s);
    CHECK(scalar(s).is_string());
  }
}

TEST_CASE("integers stay exact beyond 64 bits") {
  CHECK(scalar("99999999999999999999").int_text() == "99999999999999999999");
  CHECK(scalar("99999999999999999999").is_big_int());
  CHECK(scalar("-99999999999999999999").int_text() == "-99999999999999999999");
  CHECK(scalar("0x10000000000000000").int_text() == "18446744073709551616");
  CHECK(scalar("0b1" + std::string(70, '0')).int_text() == "1180591620717411303424");
  CHECK(scalar("01000000000000000000000").int_text() == "9223372036854775808");
  CHECK(scalar("9223372036854775807").as_int() == INT64_MAX);
  CHECK_FALSE(scalar("-9223372036854775808").is_big_int());
  CHECK(scalar("-0x8000000000000000").as_int() == INT64_MIN);
  CHECK(scalar("9223372036854775808").is_big_int());
}

TEST_CASE("floats need a dot, and an exponent needs a sign") {
  struct Case {
    const char* text;
    double value;
  };
  for (const Case& c : {Case{"1.0e+3", 1000.0}, Case{".5", 0.5}, Case{"1.", 1.0}, Case{"1._", 1.0},
                        Case{"1_.5e+3", 1500.0}, Case{"1:30.5", 90.5}, Case{"-1.5e-3", -0.0015},
                        Case{"6.02e+23", 6.02e23}, Case{"0.1", 0.1}, Case{"1.0e+400", INFINITY}}) {
    CAPTURE(c.text);
    const Value v = scalar(c.text);
    REQUIRE(v.is_float());
    CHECK(v.as_float() == c.value);
  }
  for (const char* s : {"1.0e3", "-.5", "+.5", "._5", ".e+3", "1e3", "inf", "nan", "-.nan"}) {
    CAPTURE(s);
    CHECK(scalar(s).is_string());
  }
  CHECK(scalar(".inf").as_float() == INFINITY);
  CHECK(scalar("-.Inf").as_float() == -INFINITY);
  CHECK(scalar("+.INF").as_float() == INFINITY);
  CHECK(std::isnan(scalar(".NaN").as_float()));
  CHECK(std::isnan(scalar(".nan").as_float()));
}

TEST_CASE("quoted and block scalars are strings") {
  CHECK(scalar("'yes'").as_string() == "yes");
  CHECK(scalar("\"1\"").is_string());
  CHECK(scalar("|\n  010\n").as_string() == "010\n");
  CHECK(scalar("! 12").is_string());
}

TEST_CASE("timestamps become datetime objects") {
  const Value date = scalar("2024-01-05");
  CHECK(date.python_type() == "datetime.date");
  CHECK(date.repr() == "datetime.date(2024, 1, 5)");
  CHECK(scalar("2024-1-5").is_string());  // a date alone needs two-digit month and day
  CHECK(scalar("2024-01-05 10:30:00").repr() == "datetime.datetime(2024, 1, 5, 10, 30)");
  CHECK(scalar("2024-01-05T10:30:00.5Z").repr() ==
        "datetime.datetime(2024, 1, 5, 10, 30, 0, 500000, tzinfo=datetime.timezone.utc)");
  CHECK(scalar("2024-1-5 1:02:03 -5").repr() ==
        "datetime.datetime(2024, 1, 5, 1, 2, 3, tzinfo=datetime.timezone("
        "datetime.timedelta(days=-1, seconds=68400)))");
  CHECK(yaml_error("a: 2023-02-29").rule_id == "yaml-constructor");
  CHECK(yaml_error("a: 2024-01-05 24:00:00").rule_id == "yaml-constructor");
}

TEST_CASE("the '=' value scalar and a stray '<<' cannot be constructed") {
  const Diagnostic eq = yaml_error("a: 1\nb: =\n");
  CHECK(eq.rule_id == "yaml-constructor");
  CHECK(eq.loc.line == 2);
  CHECK(eq.loc.column == 4);
  CHECK(yaml_error("- =").rule_id == "yaml-constructor");
  CHECK(yaml_error("a: <<").rule_id == "yaml-constructor");
  CHECK(yaml_one("=: 1").find("=")->as_int() == 1);  // as a key it is the string '='
}

TEST_CASE("explicit scalar tags") {
  CHECK(scalar("!!int '0x10'").as_int() == 16);
  CHECK(scalar("!!int ' 12 '").as_int() == 12);
  CHECK(scalar("!!int 0o17").as_int() == 15);
  CHECK(scalar("!!str 5").as_string() == "5");
  CHECK(scalar("!!str null").as_string() == "null");
  CHECK(scalar("!!null foo").is_null());
  CHECK(scalar("!!float 1e3").as_float() == 1000.0);
  CHECK(scalar("!!float '1:30'").as_float() == 90.0);
  CHECK(scalar("!!bool yES").as_bool());
  CHECK(scalar("!<tag:yaml.org,2002:str> 1").as_string() == "1");
  CHECK(scalar("!!timestamp 2024-1-5").repr() == "datetime.date(2024, 1, 5)");
  const Value bytes = scalar("!!binary aGVsbG8=");
  CHECK(bytes.python_type() == "bytes");
  CHECK(bytes.repr() == "b'hello'");
  CHECK(scalar("!!binary |\n  aGVs\n  bG8=\n").repr() == "b'hello'");
  for (const char* bad : {"!!bool y", "!!int ''", "!!int 1.5", "!!float abc", "!!binary a"}) {
    CAPTURE(bad);
    CHECK(yaml_error(std::string("a: ") + bad).rule_id == "yaml-constructor");
  }
}

}  // namespace qcfg::test
