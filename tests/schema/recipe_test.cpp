#include <doctest/doctest.h>

#include "compiler/json_writer.h"
#include "schema/recipe_schema.h"
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

TEST_CASE("speculative recipe sections are validated as ModelOpt 0.47's classes") {
  // Free-form only where ModelOpt is: TrainingArguments keeps extra keys, dict fields take any
  // mapping.
  auto ok = validate_schema(
      SchemaKind::SpeculativeEagleRecipe,
      from_yaml("{metadata: {recipe_type: speculative_eagle}, training: {learning_rate: 1e-5}, "
                "eagle: {eagle_architecture_config: {x: [1]}}}"));
  CHECK_MESSAGE(ok.ok(), first_error(ok));
  for (const char* bad : {
           "{metadata: {recipe_type: speculative_eagle}, model: {a: 1}, eagle: {}}",
           "{metadata: {recipe_type: speculative_eagle}, eagle: {x: [1]}}",
           "{metadata: {recipe_type: speculative_eagle}, eagle: {eagle_ttt_steps: 1.5}}",
           "{metadata: {recipe_type: speculative_eagle}, medusa: {}}",
           "{metadata: {recipe_type: speculative_eagle}, eagle: null}",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(validate_schema(SchemaKind::SpeculativeEagleRecipe, from_yaml(bad)).ok());
  }
}

TEST_CASE("speculative recipe dump: defaults, coercions and derived fields") {
  auto r = qcfg::validate_speculative_recipe(
      from_yaml("{metadata: {recipe_type: speculative_dflash}, data: {offline_data_path: /d}, "
                "dflash: {dflash_block_size: '16', dflash_offline: false}}"),
      "dflash");
  REQUIRE_MESSAGE(r.ok(), r.errors.front().message);
  const qcfg::Value& dump = r.model_dump;
  CHECK(dump.find("data")->find("mode")->as_string() == "offline");
  CHECK(dump.find("dflash")->find("dflash_offline")->as_bool());
  CHECK(dump.find("dflash")->find("dflash_block_size")->as_int() == 16);
  CHECK(dump.find("dflash")->find("dflash_dpace_alpha")->as_float() == 0.5);
  CHECK(dump.find("model")->find("model_name_or_path")->as_string() ==
        "TinyLlama/TinyLlama-1.1B-Chat-v1.0");
  auto swa =
      qcfg::validate_speculative_recipe(from_yaml("{metadata: {recipe_type: speculative_dflash}, "
                                                  "dflash: {dflash_swa_window_size: 4}}"),
                                        "dflash");
  REQUIRE(swa.errors.size() == 1);
  CHECK(swa.errors[0].message.rfind("dflash: ", 0) == 0);
}

TEST_CASE("DMDConfig: nested defaults, after-validators at their model") {
  auto empty = qcfg::validate_dmd_config(qcfg::Value::null());
  REQUIRE(empty.ok());
  CHECK(empty.model_dump.find("sample_t_cfg")->find("shift")->as_float() == 5.0);
  CHECK(empty.model_dump.find("ema")->is_null());
  auto bounds = qcfg::validate_dmd_config(from_yaml("{sample_t_cfg: {min_t: 0.5, max_t: 0.4}}"));
  REQUIRE(bounds.errors.size() == 1);
  CHECK(bounds.errors[0].message.rfind("sample_t_cfg: ", 0) == 0);
  auto gan = qcfg::validate_dmd_config(from_yaml("{gan_r1_reg_weight: 1}"));
  REQUIRE(gan.errors.size() == 1);
  CHECK(gan.errors[0].message.rfind("<root>: ", 0) == 0);
  CHECK_FALSE(qcfg::validate_dmd_config(from_yaml("[1]")).ok());
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
