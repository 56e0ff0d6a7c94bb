#include "schema/quantize_config.h"

#include <doctest/doctest.h>

#include "compiler/json_writer.h"
#include "schema/snippet_schema.h"
#include "tests/schema/test_values.h"

using qcfg::test::from_yaml;

namespace {
qcfg::QuantizeConfigResult qc(const char* yaml) {
  return qcfg::validate_quantize_config(from_yaml(yaml));
}
std::string first_error(const qcfg::QuantizeConfigResult& r) {
  return r.errors.empty() ? "" : r.errors[0].message;
}
}  // namespace

TEST_CASE("default quant_cfg and algorithm") {
  auto r = qc("{}");
  REQUIRE(r.ok());
  REQUIRE(r.config->quant_cfg.size() == 1);
  CHECK(r.config->quant_cfg[0].quantizer_name == "*");
  CHECK(qcfg::to_json(r.config->quant_cfg[0].cfg_set, {-1, true}) ==
        "{\"axis\": null, \"num_bits\": 8}");
  CHECK(r.config->algorithm_is_default);
  CHECK(r.config->need_calibration);
}

TEST_CASE("entry rules A and B, field errors, first failing entry only") {
  struct Case {
    const char* yaml;
    const char* rule;
    const char* prefix;
  };
  const Case cases[] = {
      {"{quant_cfg: [{quantizer_name: a, cfg: {}}]}", "entry-empty-cfg", "quant_cfg.cfg: "},
      {"{quant_cfg: [{quantizer_name: a, cfg: [{}, {}], enable: 0}]}", "entry-empty-cfg",
       "quant_cfg.cfg: "},
      {"{quant_cfg: [{quantizer_name: a}]}", "entry-no-effect", "quant_cfg: "},
      {"{quant_cfg: [{quantizer_name: 5, enable: true}]}", "schema-type",
       "quant_cfg.quantizer_name: "},
      {"{quant_cfg: [{quantizer_name: a, enable: null}]}", "schema-type", "quant_cfg.enable: "},
      {"{quant_cfg: [{quantizer_name: a, enable: false, comment: x}]}", "schema-extra-key",
       "quant_cfg.comment: "},
      {"{quant_cfg: [{quantizer_name: a, quantizer_path: a, enable: false}]}",
       "quantizer-path-spelling", "quant_cfg.quantizer_path: "},
      {"{quant_cfg: [{quantizer_name: a, cfg: 8}]}", "schema-type", "quant_cfg.cfg: "},
      {"{quant_cfg: [{quantizer_name: a, cfg: [{num_bits: 0}]}]}", "schema-value",
       "quant_cfg.cfg[0].num_bits: "},
      {"{quant_cfg: [{a: {num_bits: 0}}, {b: 1, c: 2}]}", "schema-value",
       "quant_cfg.cfg.num_bits: "},
      {"{quant_cfg: 5}", "quant-cfg-type", "quant_cfg: "},
      {"{algorithm: 5}", "schema-type", "algorithm: "},
      {"{algorithm: [[max]]}", "schema-type", "algorithm[0]: "},
      {"{effective_bits: 0}", "schema-value", "effective_bits: "},
      {"{quant_cfg: [], foo: 1}", "schema-extra-key", "foo: "},
  };
  for (const Case& c : cases) {
    CAPTURE(c.yaml);
    auto r = qc(c.yaml);
    REQUIRE_FALSE(r.ok());
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].rule_id == c.rule);
    CHECK(r.errors[0].message.rfind(c.prefix, 0) == 0);
    CHECK(r.errors[0].loc.known());
  }
}

TEST_CASE("enable-only forms") {
  auto r =
      qc("{quant_cfg: [{quantizer_name: a, cfg: {}, enable: false}, "
         "{quantizer_name: b, cfg: null}, {'*c': {}}]}");
  REQUIRE_MESSAGE(r.ok(), first_error(r));
  for (const auto& e : r.config->quant_cfg) CHECK(e.cfg_kind == qcfg::CfgKind::None);
  CHECK_FALSE(r.config->quant_cfg[0].enable);
  CHECK(r.config->quant_cfg[1].enable);
  CHECK(r.config->quant_cfg[1].fields_set == std::vector<std::string>{"cfg", "quantizer_name"});
  CHECK(qcfg::to_json(qcfg::entry_set_view(r.config->quant_cfg[1]), {-1, true}) ==
        "{\"cfg\": null, \"quantizer_name\": \"b\"}");
}

TEST_CASE("need_calibration follows ModelOpt exactly") {
  CHECK_FALSE(qc("{algorithm: null, quant_cfg: [{quantizer_name: '*weight_quantizer', cfg: "
                 "{num_bits: 4}}]}")
                  .config->need_calibration);
  CHECK(qc("{algorithm: {method: max}, quant_cfg: []}").config->need_calibration);
  CHECK_FALSE(qc("{quant_cfg: []}").config->need_calibration);
  CHECK_FALSE(qc("{quant_cfg: [{quantizer_name: '*input_quantizer', cfg: {type: dynamic}}]}")
                  .config->need_calibration);
  CHECK(qc("{quant_cfg: [{quantizer_name: '*input_quantizer', cfg: {num_bits: 4, block_sizes: "
           "{-1: 16, type: dynamic}}}]}")
            .config->need_calibration);
  CHECK(qc("{quant_cfg: [{quantizer_name: '*x', enable: false, cfg: [{num_bits: 4}]}]}")
            .config->need_calibration);
  CHECK_FALSE(qc("{quant_cfg: [{quantizer_name: '*x', enable: false, cfg: {num_bits: 4}}]}")
                  .config->need_calibration);
  CHECK(qc("{quant_cfg: [{quantizer_name: '*x', enable: true}]}").config->need_calibration);
}

TEST_CASE("legacy quant_cfg produces a deprecation warning") {
  auto r = qcfg::validate_quant_cfg(from_yaml("{'*': {num_bits: 8}}"));
  REQUIRE(r.ok());
  CHECK(r.warnings.size() == 1);
  CHECK(r.config->quant_cfg[0].from_legacy);
}

TEST_CASE("loc prefix for nested configs") {
  auto r = qcfg::validate_quantize_config(
      from_yaml("{quant_cfg: [{quantizer_name: 1, enable: true}]}"), "quantize");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message.rfind("quantize.quant_cfg.quantizer_name: ", 0) == 0);
}
