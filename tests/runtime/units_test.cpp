// Unit tests of the runtime's pieces that need no checkpoint: attribute parsing, export names,
// exclude patterns, the safetensors header writer.
#include <doctest/doctest.h>

#include <memory>

#include "checkpoint/hf_names.h"
#include "compiler/document/reader.h"
#include "resolver/attributes.h"
#include "resolver/load_dtypes.h"
#include "runtime/binding.h"
#include "runtime/export_format.h"
#include "runtime/hf_config.h"
#include "runtime/quant_format.h"
#include "runtime/safetensors_writer.h"

namespace qcfg::test {
namespace {

runtime::QuantFormat parse(const std::string& json, SourceFile& file) {
  file.path = "attrs.json";
  file.text = json;
  return runtime::parse_format(read_json(file));
}

}  // namespace

TEST_CASE("attributes to formats") {
  SourceFile f;
  auto nvfp4 = parse(R"({"num_bits": [2, 1], "block_sizes": {"-1": 16, "type": "dynamic",
                        "scale_bits": [4, 3]}, "axis": null, "rotate": false})",
                     f);
  CHECK(nvfp4.kind == runtime::FormatKind::nvfp4_dynamic);
  CHECK(nvfp4.label() == "NVFP4");
  auto int4 = parse(R"({"num_bits": 4, "block_sizes": {"-1": 128, "type": "static"}})", f);
  CHECK(int4.label() == "INT4 block 128");
  CHECK(std::holds_alternative<numerics::PerBlock>(runtime::granularity_for(int4, {8, 256})));
  auto per_token = parse(R"({"num_bits": [4, 3], "block_sizes": {"-1": null}})", f);
  const auto g = runtime::granularity_for(per_token, {8, 32});
  REQUIRE(std::holds_alternative<numerics::PerAxis>(g));
  CHECK(std::get<numerics::PerAxis>(g).axis == 0);
  auto rot = parse(R"({"num_bits": 8, "axis": 0, "rotate": {"enable": true, "mode": "rotate_back",
                      "block_size": 16}})",
                   f);
  REQUIRE(rot.rotate.has_value());
  CHECK(rot.rotate->mode == numerics::RotateMode::rotate_back);
  CHECK(rot.rotate->block == 16);
  auto axis2 = parse(R"({"num_bits": 8, "axis": 2})", f);
  CHECK_THROWS_AS(runtime::granularity_for(axis2, {4, 4}), std::invalid_argument);
  try {
    parse(R"({"num_bits": 8,
  "calibrator": "histogram"})",
          f);
    FAIL("histogram accepted");
  } catch (const runtime::FormatError& e) {
    CHECK(e.loc().line == 2);  // located at the attribute
  }
  CHECK_THROWS_AS(parse(R"({"num_bits": [3, 2]})", f), runtime::FormatError);
}

TEST_CASE("export algos and names") {
  SourceFile f;
  auto fp8 = parse(R"({"num_bits": [4, 3]})", f);
  CHECK(runtime::algo_name(runtime::export_algo(fp8, fp8)) == "FP8");
  auto int8 = parse(R"({"num_bits": 8, "axis": 0})", f);
  CHECK(runtime::algo_name(runtime::export_algo(int8, std::nullopt)) == "W8A16");
  auto int8_tensor = parse(R"({"num_bits": 8})", f);
  CHECK_THROWS_AS(runtime::export_algo(int8_tensor, std::nullopt), std::invalid_argument);
  CHECK(checkpoint::scale_name("m.experts", "gate_up_proj", "_scale") ==
        "m.experts.gate_up_proj_weight_scale");
  CHECK(checkpoint::scale_name("m.fc1", "weight3", "_scale_2") == "m.fc1.weight3_scale_2");
  CHECK(checkpoint::input_scale_name("m.q_proj", "weight") == "m.q_proj.input_scale");
  const auto tensors = runtime::export_tensors(
      runtime::ExportAlgo::int4_awq, parse(R"({"num_bits": 4, "block_sizes": {"-1": 16}})", f), "m",
      "weight", {32, 64});
  REQUIRE(tensors.size() == 2);
  CHECK(tensors[0].shape == std::vector<int64_t>{16, 64});
  CHECK(tensors[1].shape == std::vector<int64_t>{32, 4});
}

TEST_CASE("exclude_modules: ModelOpt's prefix-wildcard summary, layers kept numbered") {
  // The most general `prefix*` at a '.' that matches no quantized module; a name already covered
  // adds nothing.
  CHECK(runtime::exclude_patterns({"lm_head", "model.layers.0.mlp.gate", "model.layers.1.mlp.gate",
                                   "model.layers.1.self_attn.o_proj"},
                                  {"model.layers.0.self_attn.o_proj"}) ==
        std::vector<std::string>{"lm_head", "model.layers.0.mlp*", "model.layers.1*"});
  // `model.layers.1*` would match layer 10: the pair {prefix, prefix.*} is written as prefix.*.
  CHECK(runtime::exclude_patterns({"model.layers.1.mlp"}, {"model.layers.10.mlp"}) ==
        std::vector<std::string>{"model.layers.1.*"});
  // Only the full name avoids the quantized experts: an MoE router (the goldens' Qwen3-MoE).
  CHECK(runtime::exclude_patterns(
            {"model.layers.0.mlp.gate", "model.layers.1.mlp.gate"},
            {"model.layers.0.mlp.experts", "model.layers.1.mlp.experts",
             "model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.q_proj"}) ==
        std::vector<std::string>{"model.layers.0.mlp.gate", "model.layers.1.mlp.gate"});
}

TEST_CASE("safetensors header: offsets, 8-byte padding, metadata") {
  std::vector<uint64_t> offsets;
  const std::string h = runtime::safetensors_header({{"a", "F8_E4M3", {2, 3}}, {"b", "F32", {}}},
                                                    {{"format", "pt"}}, &offsets);
  CHECK(h.size() % 8 == 0);
  CHECK(offsets == std::vector<uint64_t>{0, 6});
  CHECK(h.find(R"("b":{"dtype":"F32","shape":[],"data_offsets":[6,10]})") != std::string::npos);
}

TEST_CASE("tensors transformers keeps in fp32 at load are the ones written as F32") {
  CHECK(resolver::kept_in_fp32_at_load("model.layers.1.mlp.gate.e_score_correction_bias"));
  CHECK_FALSE(resolver::kept_in_fp32_at_load("model.layers.1.mlp.gate.weight"));
  CHECK_FALSE(resolver::kept_in_fp32_at_load("e_score_correction_bias_extra"));
}

}  // namespace qcfg::test

namespace qcfg::test {

// One MX test for every consumer (resolver::is_mx_format): dynamic E8M0-scaled blocks need no
// calibration; an E8M0 scale on static blocks (no MX format) is not taken for MX.
TEST_CASE("calibration need: MX by the resolver's one definition") {
  auto stage = [](const std::string& json) {
    SourceFile f;
    f.path = "attrs.json";
    f.text = json;
    runtime::PlanStage s;
    s.enabled = true;
    s.set_attributes(std::make_shared<const Value>(read_json(f)));
    return s;
  };
  CHECK_FALSE(runtime::stage_needs_calibration(
      stage(R"({"num_bits": [4, 3], "block_sizes": {"-1": 32, "type": "dynamic",
               "scale_bits": [8, 0]}})")));
  CHECK(runtime::stage_needs_calibration(
      stage(R"({"num_bits": [2, 1], "block_sizes": {"-1": 16, "type": "dynamic",
               "scale_bits": [4, 3]}})")));
  CHECK(runtime::stage_needs_calibration(
      stage(R"({"num_bits": [4, 3], "block_sizes": {"-1": 32, "type": "static",
               "scale_bits": [8, 0]}})")));
  CHECK(runtime::stage_needs_calibration(stage(R"({"num_bits": [4, 3], "axis": null})")));
}

}  // namespace qcfg::test

namespace qcfg::test {

// read_quantizer_attributes, the one typed reading of the fields consumers branch on:
// block-size axes are integers from a config (int keys) and from a plan (JSON string keys) alike.
TEST_CASE("typed attributes: integer axes from configs and plans, rotation, MX") {
  SourceFile plan;
  plan.path = "plan.json";
  plan.text = R"({"type": "static", "block_sizes": {"-1": 16, "type": "dynamic",
                  "scale_bits": [8, 0]}, "rotate": {"enable": true, "mode": "rotate_back",
                  "block_size": 64}})";
  const QuantizerAttributes p = read_quantizer_attributes(read_json(plan));
  CHECK(p.last_axis_block() == 16);
  CHECK(p.is_mx());
  CHECK(p.rotation.enabled);
  CHECK(p.rotation.rotate_back);
  CHECK(p.rotation.block_size == 64);
  Value blocks = Value::map();
  blocks.insert(Value::integer(-1), Value::integer(32));
  Value config = Value::map();
  config.set("block_sizes", blocks);
  config.set("rotate", Value::boolean(true));
  const QuantizerAttributes c = read_quantizer_attributes(config);
  CHECK(c.last_axis_block() == 32);
  CHECK_FALSE(c.is_mx());
  CHECK(c.rotation.enabled);
  CHECK_FALSE(c.rotation.rotate_back);
  CHECK(resolver::format_label(config) == "unknown");  // no num_bits
  config.set("num_bits", Value::integer(4));
  CHECK(resolver::format_label(config) == "INT4 block 32");
}

}  // namespace qcfg::test
