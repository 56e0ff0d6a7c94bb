#include <doctest/doctest.h>

#include "compiler/json_writer.h"
#include "schema/attribute_config.h"
#include "tests/schema/test_values.h"

using qcfg::validate_attribute_config;
using qcfg::test::from_yaml;

namespace {
std::string first_error(const qcfg::AttributeConfigResult& r) {
  return r.errors.empty() ? "" : r.errors[0].message;
}
qcfg::AttributeConfigResult check(const char* yaml) {
  return validate_attribute_config(from_yaml(yaml), "cfg");
}
}  // namespace

TEST_CASE("full dump has 19 fields with defaults; set dump only written ones") {
  auto r = check("{num_bits: [4, 3], axis: 0}");
  REQUIRE(r.ok());
  CHECK(r.config->full.size() == 19);
  CHECK(r.config->full.find("num_bits")->is_tuple());
  CHECK(qcfg::to_json(r.config->set, {-1, true}) == "{\"axis\": 0, \"num_bits\": [4, 3]}");
}

TEST_CASE("lax coercions") {
  auto r = check("{num_bits: true, enable: 'off', constant_amax: 2688, axis: [1, '2']}");
  REQUIRE_MESSAGE(r.ok(), first_error(r));
  CHECK(r.config->full.find("num_bits")->as_int() == 1);
  CHECK_FALSE(r.config->full.find("enable")->as_bool());
  CHECK(r.config->full.find("constant_amax")->is_float());
  CHECK(qcfg::to_json(*r.config->full.find("axis"), {-1, true}) == "[1, 2]");
  auto s = check("{num_bits: '8'}");  // smart union: a str stays a str
  REQUIRE(s.ok());
  CHECK(s.config->full.find("num_bits")->is_string());
}

TEST_CASE("rejections carry field path and rule") {
  struct Case {
    const char* yaml;
    const char* path;
    const char* rule;
  };
  const Case cases[] = {
      {"{num_bits: 0}", "cfg.num_bits", "schema-value"},
      {"{num_bits: [3, 3]}", "cfg.num_bits", "schema-value"},
      {"{num_bits: [5, 2]}", "cfg.num_bits", "schema-value"},
      {"{num_bits: 8.5}", "cfg.num_bits", "schema-type"},
      {"{type: Dynamic}", "cfg.type", "schema-value"},
      {"{type: 5}", "cfg.type", "schema-type"},
      {"{learn_amax: 'true'}", "cfg.learn_amax", "schema-value"},
      {"{foo: 1}", "cfg.foo", "schema-extra-key"},
      {"{enable: true}", "cfg", "schema-value"},
      {"{num_bits: 4, bias: {enable: true}}", "cfg", "schema-value"},
      {"{num_bits: 4, block_sizes: {'-1': 16}}", "cfg.block_sizes.-1", "schema-value"},
      {"{block_sizes: {-1: 16, -2: 16, type: dynamic}}", "cfg.block_sizes", "schema-value"},
      {"{axis: 0, block_sizes: {-1: 16}}", "cfg.block_sizes", "schema-value"},
      {"{bias: {-1: static, type: foo}}", "cfg.bias.type", "schema-type"},
      {"{bias: {type: static}}", "cfg.bias", "schema-value"},
      {"{rotate: {block_size: 0}}", "cfg.rotate.block_size", "schema-value"},
      {"{rotate: {block_size: 16.0}}", "cfg.rotate.block_size", "schema-value"},
      {"{rotate: {mode: back}}", "cfg.rotate.mode", "schema-value"},
      {"{rotate: null}", "cfg.rotate", "schema-type"},
      {"{calibrator: foo}", "cfg.calibrator", "schema-value"},
      {"{trt_high_precision_dtype: half}", "cfg.trt_high_precision_dtype", "schema-value"},
      {"{effective_bits: 17}", "cfg.effective_bits", "schema-value"},
      {"{constant_amax: 0}", "cfg.constant_amax", "schema-value"},
      {"{use_constant_amax: true, constant_amax: 1.0}", "cfg.constant_amax", "schema-value"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.yaml);
    auto r = check(c.yaml);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.errors.size() >= 1);
    CHECK(r.errors[0].message.rfind(std::string(c.path) + ": ", 0) == 0);
    CHECK(r.errors[0].rule_id == c.rule);
    CHECK(r.errors[0].loc.known());
  }
}

TEST_CASE("accepted quirks") {
  for (const char* yaml :
       {"{rotate: {enable: true}}", "{num_bits: [9, 9], backend: foo}",
        "{num_bits: [5, 2], block_sizes: {-1: 32, type: dynamic}}",
        "{block_sizes: {0: 32, type: dynamic}}", "{calibrator: [a, {b: 1}]}",
        "{block_sizes: {-1: 16, type: Dynamic, scale_bits: 8, four_over_six: true}}",
        "{bias: {-1: true, type: dynamic, method: max_min}}", "{enable: false}", "{}"}) {
    CAPTURE(yaml);
    auto r = check(yaml);
    CHECK_MESSAGE(r.ok(), first_error(r));
  }
  auto r = check("{block_sizes: {-1: 16, four_over_six: true}}");
  REQUIRE(r.ok());
  CHECK(r.config->full.find("block_sizes")->find("four_over_six")->is_int());
}

TEST_CASE("rotate mapping: full dump has four fields, set dump only written keys") {
  auto r = check("{rotate: {mode: rotate_back}}");
  REQUIRE(r.ok());
  CHECK(r.config->full.find("rotate")->size() == 4);
  CHECK(r.config->set.find("rotate")->size() == 1);
  auto b = check("{rotate: 'yes'}");
  REQUIRE(b.ok());
  CHECK(b.config->full.find("rotate")->is_bool());
}

TEST_CASE("a failing field and a valid block_sizes with a failed axis: only the axis error") {
  auto r = check("{axis: abc, block_sizes: {-1: 16}}");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.rfind("cfg.axis: ", 0) == 0);
}
