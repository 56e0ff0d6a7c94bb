#include "compiler/normalize/normalize.h"

#include <doctest/doctest.h>

#include "tests/schema/test_values.h"

using qcfg::normalize_quant_cfg;
using qcfg::test::from_yaml;

namespace {
std::string name_of(const qcfg::RawEntry& e) { return e.fields.find("quantizer_name")->str(); }
}  // namespace

TEST_CASE("legacy flat dict: one entry per pair in order, default renamed in place") {
  auto r = normalize_quant_cfg(
      from_yaml("{'*weight_quantizer': {num_bits: 8}, default: {enable: false}}"));
  REQUIRE(r.ok());
  REQUIRE(r.entries.size() == 2);
  CHECK(name_of(r.entries[0]) == "*weight_quantizer");
  CHECK(name_of(r.entries[1]) == "*");
  CHECK(r.entries[1].fields.find("cfg")->is_null());
  CHECK_FALSE(r.entries[1].fields.find("enable")->as_bool());
  CHECK(r.entries[1].fields_set == std::vector<std::string>{"cfg", "enable", "quantizer_name"});
  CHECK(r.entries[1].from_legacy);
  REQUIRE(r.warnings.size() == 1);
  CHECK(r.warnings[0].rule_id == qcfg::kRuleLegacyFormat);
}

TEST_CASE("legacy enable null is dropped; new format keeps the item as is") {
  auto r =
      normalize_quant_cfg(from_yaml("[{'*': {enable: null}}, {quantizer_name: a, enable: true}]"));
  REQUIRE(r.entries.size() == 2);
  CHECK_FALSE(r.entries[0].fields.has("enable"));
  CHECK(r.entries[1].fields_set == std::vector<std::string>{"enable", "quantizer_name"});
  CHECK_FALSE(r.entries[1].from_legacy);
}

TEST_CASE("nn.* sub-configs go through Python dict()") {
  auto r =
      normalize_quant_cfg(from_yaml("[{'nn.Linear': {a: [{num_bits: 4, axis: 0}], b: [[num_bits, "
                                    "4]], c: [], d: {enable: false}}}]"));
  REQUIRE(r.ok());
  REQUIRE(r.entries.size() == 4);
  CHECK(r.entries[0].fields.find("cfg")->find("num_bits")->as_string() == "axis");
  CHECK(r.entries[1].fields.find("cfg")->find("num_bits")->as_int() == 4);
  CHECK(r.entries[2].fields.find("cfg")->is_null());
  CHECK(r.entries[3].fields.find("parent_class")->as_string() == "nn.Linear");
  CHECK_FALSE(r.entries[3].fields.find("enable")->as_bool());
  CHECK(r.entries[3].fields_set ==
        std::vector<std::string>{"cfg", "enable", "parent_class", "quantizer_name"});
}

TEST_CASE("nn.* dict() failures and non-mapping values are errors") {
  for (const char* yaml : {"{'nn.Linear': {a: null}}", "{'nn.Linear': {a: [{num_bits: 4}]}}",
                           "{'nn.Linear': {a: 'xyz'}}", "{'nn.Linear': 5}"}) {
    CAPTURE(yaml);
    auto r = normalize_quant_cfg(from_yaml(yaml));
    CHECK_FALSE(r.ok());
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0].rule_id == qcfg::kRuleNnScopedValue);
    CHECK(r.errors[0].loc.known());
  }
}

TEST_CASE("entries before a structural error are kept, later items are not read") {
  auto r = normalize_quant_cfg(from_yaml("[{'*': {num_bits: 8}}, {a: 1, b: 2}, {'*x': {}}]"));
  CHECK(r.entries.size() == 1);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rule_id == qcfg::kRuleInvalidEntry);
  CHECK(r.errors[0].message.find("quant_cfg") != std::string::npos);
}

TEST_CASE("quant_cfg of a wrong type") {
  auto r = normalize_quant_cfg(qcfg::Value::string("abc"));
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rule_id == qcfg::kRuleQuantCfgType);
}

TEST_CASE("quantizer_path spelling is rejected with a hint") {
  auto r = normalize_quant_cfg(from_yaml("[{quantizer_path: '*', enable: false}]"));
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].rule_id == qcfg::kRuleQuantizerPath);
  CHECK(r.errors[0].message.find("quantizer_name") != std::string::npos);
  auto one = normalize_quant_cfg(from_yaml("[{quantizer_path: '*'}]"));
  REQUIRE(one.entries.size() == 1);
  CHECK_FALSE(one.entries[0].notes.empty());
}

TEST_CASE("multi-key item: non-string key before nn. key is an error") {
  qcfg::Value item = qcfg::Value::map();
  item.insert(qcfg::Value::integer(1), qcfg::Value::null());
  item.set("nn.Linear", qcfg::Value::map());
  qcfg::Value list = qcfg::Value::list();
  list.push_back(item);
  auto r = normalize_quant_cfg(list);
  CHECK_FALSE(r.ok());
}
