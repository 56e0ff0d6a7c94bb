// schema/quantizer_attributes.h: the one typed reading of quantizer attributes. Configs key
// block sizes by int, plans by JSON string; MX is defined once (dynamic blocks, E8M0 scales).
#include "schema/quantizer_attributes.h"

#include <doctest/doctest.h>

#include "compiler/document/reader.h"
#include "schema/quantize_config.h"
#include "tests/schema/test_values.h"

namespace qcfg {
namespace {

QuantizerAttributes of_yaml(const char* yaml) {
  return read_quantizer_attributes(test::from_yaml(yaml));
}

}  // namespace

TEST_CASE("block-size axes are integers from configs (int keys) and plans (string keys)") {
  const QuantizerAttributes config = of_yaml(
      "{num_bits: [2, 1], block_sizes: {-1: 16, -2: null, type: dynamic, "
      "scale_bits: [4, 3]}, axis: null}");
  SourceFile plan{"plan.json", "plan.json",
                  R"({"num_bits": [2, 1], "block_sizes": {"-1": 16, "-2": null,
                      "type": "dynamic", "scale_bits": [4, 3]}, "axis": null})"};
  const QuantizerAttributes p = read_quantizer_attributes(read_json(plan));
  for (const QuantizerAttributes* a : {&config, &p}) {
    CHECK(a->blocks.sizes.size() == 2);
    CHECK(a->last_axis_block() == 16);
    CHECK(a->blocks.sizes.at(-2) == std::nullopt);
    CHECK(a->blocks.scale_bits == BitsPair(4, 3));
    CHECK(a->dynamic_blocks());
    CHECK_FALSE(a->axis_set);
    CHECK(a->format() == AttributeFormat::nvfp4);
  }
  CHECK(p.blocks.axis_locs.at(-1).line == 1);
  CHECK(p.blocks.type_field.loc.line == 2);
}

TEST_CASE("is_mx: dynamic blocks with (8, 0) scales, nothing less") {
  CHECK(of_yaml("{num_bits: [2, 1], block_sizes: {-1: 32, type: dynamic, scale_bits: [8, 0]}}")
            .is_mx());
  CHECK_FALSE(of_yaml("{num_bits: [2, 1], block_sizes: {-1: 32, type: static, scale_bits: [8, 0]}}")
                  .is_mx());
  CHECK_FALSE(of_yaml("{num_bits: [2, 1], block_sizes: {-1: 32, scale_bits: [8, 0]}}").is_mx());
  CHECK_FALSE(
      of_yaml("{num_bits: [4, 3], block_sizes: {-1: 32, type: dynamic, scale_bits: [8, 1]}}")
          .is_mx());
}

TEST_CASE("format families") {
  const char* mx = "block_sizes: {-1: 32, type: dynamic, scale_bits: [8, 0]}}";
  CHECK(of_yaml((std::string("{num_bits: [2, 1], ") + mx).c_str()).format() ==
        AttributeFormat::mxfp4);
  CHECK(of_yaml((std::string("{num_bits: [3, 2], ") + mx).c_str()).format() ==
        AttributeFormat::mxfp6);
  CHECK(of_yaml((std::string("{num_bits: [4, 3], ") + mx).c_str()).format() ==
        AttributeFormat::mxfp8);
  CHECK(of_yaml((std::string("{num_bits: 8, ") + mx).c_str()).format() == AttributeFormat::mxint8);
  CHECK(of_yaml("{num_bits: [4, 3], axis: 0}").format() == AttributeFormat::fp8);
  CHECK(of_yaml("{num_bits: [3, 2]}").format() == AttributeFormat::float_other);
  CHECK(of_yaml("{num_bits: 4, block_sizes: {-1: 128}}").format() == AttributeFormat::integer);
  CHECK(of_yaml("{num_bits: 'e9m9x', backend: b}").format() == AttributeFormat::custom);
  CHECK(of_yaml("{axis: 0}").format() == AttributeFormat::none);
}

TEST_CASE("a mapping of the written fields reads as what was written") {
  const QuantizerAttributes a = of_yaml("{num_bits: 4}");
  CHECK(a.int_bits == 4);
  CHECK_FALSE(a.blocks.present);
  CHECK_FALSE(a.type.has_value());
  CHECK_FALSE(a.enable.has_value());
  CHECK_FALSE(a.rotation.enabled);
  const QuantizerAttributes t = of_yaml("{block_sizes: {-1: 16, type: Dynamic}}");
  CHECK(t.blocks.type == "Dynamic");
  CHECK_FALSE(t.dynamic_blocks());
  CHECK(t.blocks.type_field.repr == "'Dynamic'");
  CHECK_FALSE(t.int_bits.has_value());
}

TEST_CASE("rotation, constant amax, dynamic, per token") {
  const QuantizerAttributes a = of_yaml(
      "{type: dynamic, constant_amax: 2.5, block_sizes: {-1: null}, "
      "rotate: {enable: true, mode: rotate_back, block_size: 64, rotate_fp32: true}}");
  CHECK(a.dynamic());
  CHECK(a.has_constant_amax());
  CHECK(a.constant_amax == 2.5);
  CHECK(a.per_token());
  CHECK(a.rotation.enabled);
  CHECK(a.rotation.rotate_back);
  CHECK(a.rotation.block_size == 64);
  CHECK(a.rotation.fp32);
  CHECK_FALSE(of_yaml("{rotate: {mode: rotate_back}}").rotation.enabled);  // enable defaults off
  CHECK(of_yaml("{rotate: true}").rotation.enabled);
}

TEST_CASE("the validator fills each entry's full and written attributes") {
  const QuantizeConfigResult r = validate_quantize_config(test::from_yaml(
      "{quant_cfg: [{quantizer_name: '*w', cfg: {num_bits: [4, 3], axis: 0}}, "
      "{quantizer_name: '*s', cfg: [{num_bits: 4, block_sizes: {-1: 128}}, {num_bits: [4, 3]}]}, "
      "{quantizer_name: '*x', enable: false}]}"));
  REQUIRE(r.ok());
  const std::vector<QuantizerEntry>& e = r.config->quant_cfg;
  REQUIRE(e.size() == 3);
  REQUIRE(e[0].attributes.size() == 1);
  CHECK(e[0].attributes[0].type == "static");  // defaults filled in
  CHECK(e[0].attributes[0].enable == true);
  CHECK(e[0].attributes[0].axis == 0);
  CHECK(e[0].attributes[0].format() == AttributeFormat::fp8);
  REQUIRE(e[0].attributes_set.size() == 1);
  CHECK_FALSE(e[0].attributes_set[0].type.has_value());  // only what was written
  REQUIRE(e[1].attributes.size() == 2);
  CHECK(e[1].attributes[0].last_axis_block() == 128);
  CHECK(e[1].attributes_set[1].float_bits == BitsPair(4, 3));
  CHECK(e[2].attributes.empty());
  CHECK(e[2].attributes_set.empty());
}

}  // namespace qcfg
