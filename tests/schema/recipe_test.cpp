#include <doctest/doctest.h>

#include "compiler/json_writer.h"
#include "schema/snippet_schema.h"
#include "tests/schema/test_values.h"

using qcfg::SchemaKind;
using qcfg::validate_schema;
using qcfg::test::from_yaml;

namespace {
std::string first_error(const qcfg::SchemaResult& r) {
  return r.errors.empty() ? "" : r.errors[0].message;
}
}  // namespace

TEST_CASE("schema header paths") {
  CHECK(qcfg::schema_from_path("modelopt.torch.quantization.config.QuantizeConfig") ==
        SchemaKind::QuantizeConfig);
  CHECK(qcfg::schema_from_path("modelopt.torch.quantization.config.QuantizerCfgListConfig") ==
        SchemaKind::EntryList);
  CHECK(qcfg::schema_from_path("modelopt.recipe.config.LayerPatternList") ==
        SchemaKind::StringList);
  CHECK_FALSE(qcfg::schema_from_path("torch.quantization.config.QuantizeConfig"));
  CHECK(qcfg::schema_path_error("foo.Bar").find("must live under 'modelopt.'") !=
        std::string::npos);
  CHECK(qcfg::schema_path_error("modelopt.").find("Invalid") != std::string::npos);
  CHECK(qcfg::schema_path_error("modelopt.torch.quantization.config.Nope").find("Cannot resolve") !=
        std::string::npos);
  CHECK(qcfg::schema_path_error("modelopt.nope.X").find("No module") != std::string::npos);
  CHECK(qcfg::schema_path_error("modelopt.torch.quantization.config.QuantizeConfig").empty());
  CHECK(qcfg::schema_path(SchemaKind::PtqRecipe) == "modelopt.recipe.config.ModelOptPTQRecipe");
}

TEST_CASE("snippets: attribute config, entry, entry list, layer patterns") {
  auto a = validate_schema(SchemaKind::AttributeConfig,
                           from_yaml("{num_bits: [2, 1], block_sizes: {-1: 16, type: dynamic}}"));
  REQUIRE_MESSAGE(a.ok(), first_error(a));
  CHECK(a.attributes->full.size() == 19);
  auto e = validate_schema(SchemaKind::Entry, from_yaml("{quantizer_name: '*', enable: false}"));
  REQUIRE(e.ok());
  CHECK(e.entries->size() == 1);
  // A list snippet item is validated as an entry directly: legacy forms are not converted.
  auto l = validate_schema(SchemaKind::EntryList,
                           from_yaml("[{quantizer_name: a, enable: false}, {'*': {num_bits: 8}}]"));
  REQUIRE(l.errors.size() >= 1);
  CHECK(l.errors[0].message.rfind("[1]", 0) == 0);
  auto s = validate_schema(SchemaKind::StringList, from_yaml("[a, 5]"));
  REQUIRE(s.errors.size() == 1);
  CHECK(s.errors[0].message.rfind("[1]: ", 0) == 0);
}

TEST_CASE("PTQ recipe") {
  auto ok = validate_schema(SchemaKind::PtqRecipe,
                            from_yaml("{metadata: {recipe_type: ptq}, quantize: {quant_cfg: "
                                      "[{quantizer_name: '*', enable: false}]}}"));
  REQUIRE_MESSAGE(ok.ok(), first_error(ok));
  REQUIRE(ok.quantize_configs.size() == 1);
  CHECK(ok.quantize_configs[0].path == "quantize");
  CHECK(ok.metadata->description == "Model optimization recipe.");

  auto null_q = validate_schema(SchemaKind::PtqRecipe,
                                from_yaml("{metadata: {recipe_type: ptq}, quantize: null}"));
  REQUIRE_FALSE(null_q.ok());
  CHECK(null_q.errors[0].message.rfind("quantize: ", 0) == 0);

  auto bad_type = validate_schema(SchemaKind::PtqRecipe,
                                  from_yaml("{metadata: {recipe_type: PTQ}, quantize: {}}"));
  REQUIRE_FALSE(bad_type.ok());
  CHECK(bad_type.errors[0].message.rfind("metadata.recipe_type: ", 0) == 0);

  auto extra = validate_schema(SchemaKind::PtqRecipe,
                               from_yaml("{metadata: {recipe_type: ptq}, quantize: {}, x: 1}"));
  REQUIRE(extra.errors.size() == 1);
  CHECK(extra.errors[0].rule_id == "schema-extra-key");

  auto nested = validate_schema(SchemaKind::PtqRecipe,
                                from_yaml("{metadata: {recipe_type: ptq}, quantize: {quant_cfg: "
                                          "[{quantizer_name: a, cfg: {num_bits: 0}}]}}"));
  REQUIRE(nested.errors.size() == 1);
  CHECK(nested.errors[0].message.rfind("quantize.quant_cfg.cfg.num_bits: ", 0) == 0);
}

TEST_CASE("auto_quantize recipe: sections, defaults and cross rules") {
  const char* base =
      "{metadata: {recipe_type: auto_quantize}, auto_quantize: {constraints: {effective_bits: "
      "4.5}, candidate_formats: [{quant_cfg: []}, {}]}}";
  auto ok = validate_schema(SchemaKind::AutoQuantizeRecipe, from_yaml(base));
  REQUIRE_MESSAGE(ok.ok(), first_error(ok));
  REQUIRE(ok.quantize_configs.size() == 2);
  CHECK(ok.quantize_configs[1].path == "auto_quantize.candidate_formats[1]");
  CHECK(ok.auto_quantize.find("score_size")->as_int() == 128);
  CHECK(ok.auto_quantize.find("constraints")->find("cost_model")->as_string() == "weight");

  auto baseline_with_formats =
      validate_schema(SchemaKind::AutoQuantizeRecipe,
                      from_yaml("{metadata: {recipe_type: auto_quantize}, quantize: {}, "
                                "auto_quantize: {constraints: {}, candidate_formats: [{}]}}"));
  CHECK_FALSE(baseline_with_formats.ok());

  auto baseline_ok = validate_schema(
      SchemaKind::AutoQuantizeRecipe,
      from_yaml(
          "{metadata: {recipe_type: auto_quantize}, quantize: {}, auto_quantize: {constraints: {}, "
          "module_search_spaces: [{module_name_patterns: ['*mlp*'], candidate_formats: [{}]}], "
          "kv_cache: {}}}"));
  REQUIRE_MESSAGE(baseline_ok.ok(), first_error(baseline_ok));
  CHECK(baseline_ok.quantize_configs.size() == 3);

  auto spaces_without_baseline = validate_schema(
      SchemaKind::AutoQuantizeRecipe,
      from_yaml("{metadata: {recipe_type: auto_quantize}, auto_quantize: {constraints: {}, "
                "module_search_spaces: [{module_name_patterns: [a], candidate_formats: [{}]}]}}"));
  CHECK_FALSE(spaces_without_baseline.ok());

  for (const char* bad :
       {"{constraints: {effective_bits: 17}, candidate_formats: [{}]}", "{candidate_formats: [{}]}",
        "{constraints: {}, candidate_formats: []}",
        "{constraints: {cost: {active_moe_expert_ratio: 0}}, candidate_formats: [{}]}",
        "{constraints: {}, candidate_formats: [{}], auto_quantize_method: foo}",
        "{constraints: {}, module_search_spaces: [{module_name_patterns: [], candidate_formats: "
        "[{}]}]}"}) {
    CAPTURE(bad);
    CHECK_FALSE(validate_schema(SchemaKind::AutoQuantizeConfig, from_yaml(bad)).ok());
  }
}

TEST_CASE("speculative recipes take free-form sections") {
  auto ok = validate_schema(
      SchemaKind::SpeculativeEagleRecipe,
      from_yaml("{metadata: {recipe_type: speculative_eagle}, model: {a: 1}, eagle: {x: [1]}}"));
  CHECK_MESSAGE(ok.ok(), first_error(ok));
  auto bad = validate_schema(SchemaKind::SpeculativeEagleRecipe,
                             from_yaml("{metadata: {recipe_type: speculative_eagle}, medusa: {}}"));
  CHECK_FALSE(bad.ok());
}

TEST_CASE("standalone recipe entry points") {
  auto r = qcfg::validate_ptq_recipe(from_yaml("{metadata: {recipe_type: ptq}, quantize: {}}"));
  REQUIRE(r.ok());
  REQUIRE(r.quantize_configs.size() == 1);
  CHECK(r.quantize_configs[0].first == "quantize");
  CHECK_FALSE(qcfg::validate_recipe_metadata(from_yaml("{recipe_type: qat}")).ok());
  CHECK(qcfg::validate_speculative_recipe(
            from_yaml("{metadata: {recipe_type: speculative_medusa}, medusa: {}}"), "medusa")
            .ok());
  auto aq =
      qcfg::validate_auto_quantize_config(from_yaml("{constraints: {}, candidate_formats: [{}]}"));
  REQUIRE(aq.ok());
  CHECK(aq.quantize_configs[0].first == "$.candidate_formats[0]");
}
