// MoE experts as transformers >= 5 loads them (checkpoint/expert_layout.h): the checkpoint keeps
// per-expert gate_proj / up_proj / down_proj, ModelOpt quantizes the fused
// `experts.gate_up_proj[e]` (gate and up rows of expert e concatenated: one amax) and
// `experts.down_proj[e]`, with one input quantizer per fused parameter whose amax gives every
// expert's input_scale. Exports keep the per-expert tensor names.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "checkpoint_gen.h"
#include "reference.h"

namespace qcfg::test {
namespace {

using runtime::Checkpoint;

const std::string kConfig =
    R"({"architectures": ["Qwen3MoeForCausalLM"], "model_type": "qwen3_moe",
        "transformers_version": "5.17.0", "num_experts": 2})";
const std::string kExperts = "model.layers.0.mlp.experts.";

// Two experts whose gate and up weights have different amax (up: 4x gate for expert 0, 1/4 for
// expert 1), a router and one attention projection.
std::vector<GenTensor> moe_layer() {
  std::vector<GenTensor> t = {{"model.layers.0.self_attn.q_proj.weight", {16, 32}},
                              {"model.layers.0.mlp.gate.weight", {2, 32}}};
  for (int e = 0; e < 2; ++e) {
    const std::string p = kExperts + std::to_string(e) + ".";
    t.push_back({p + "gate_proj.weight", {16, 32}, "BF16", e == 0 ? 1.0f : 4.0f});
    t.push_back({p + "up_proj.weight", {16, 32}, "BF16", e == 0 ? 4.0f : 1.0f});
    t.push_back({p + "down_proj.weight", {32, 16}, "BF16", 2.0f});
  }
  return t;
}

const std::string kExpertsFp8 =
    "algorithm: max\nquant_cfg:\n  - {quantizer_name: '*', enable: false}\n"
    "  - {quantizer_name: '*experts*', cfg: {num_bits: e4m3, axis: null}}\n";

Run ptq(const Scratch& s, const std::string& config, const std::string& out,
        const std::string& extra) {
  const std::string cfg = s.write(out + ".yaml", config);
  return qcfg("ptq " + cfg + " --model " + s.path("m").string() + " --out " + s.path(out).string() +
              " --device " + test_device() + " --quiet " + extra);
}

std::vector<float> rows_of(const Checkpoint& in, const std::vector<std::string>& names) {
  std::vector<float> x;
  for (const std::string& n : names) {
    const std::vector<float> f = floats(*in.find(n));
    x.insert(x.end(), f.begin(), f.end());
  }
  return x;
}

float amax_of(const std::vector<float>& x) {
  return numerics::max_amax(x, {static_cast<int64_t>(x.size())}, numerics::PerTensor{})[0];
}

}  // namespace

TEST_CASE("fused experts, FP8 export: gate and up share one scale, input_scale per expert") {
  Scratch s;
  write_checkpoint(s.path("m"), moe_layer(), 1, kConfig);
  const std::string amax =
      s.write("amax.json", "{\"" + kExperts + "gate_up_proj_input_quantizer\": 4.0, \"" + kExperts +
                               "down_proj_input_quantizer\": 2.0}");
  const Run r = ptq(s, kExpertsFp8, "out", "--mode export --act-amax " + amax);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const Checkpoint in = Checkpoint::open(s.path("m").string());
  const Checkpoint out = Checkpoint::open(s.path("out").string());
  for (int e = 0; e < 2; ++e) {
    const std::string p = kExperts + std::to_string(e) + ".";
    const float shared = amax_of(rows_of(in, {p + "gate_proj.weight", p + "up_proj.weight"}));
    for (const std::string proj : {"gate_proj", "up_proj", "down_proj"}) {
      CAPTURE(p + proj);
      const std::string w = p + proj + ".weight";
      const std::vector<float> x = floats(*in.find(w));
      const float a = proj == "down_proj" ? amax_of(x) : shared;
      for (const auto& [suffix, b] : ref_export(Fmt::fp8, x, in.find(w)->shape, {a}))
        check_bytes(out, w + suffix, b);
      const runtime::TensorRef* input_scale = out.find(p + proj + ".input_scale");
      REQUIRE(input_scale != nullptr);
      const float given = proj == "down_proj" ? 2.0f : 4.0f;
      CHECK(floats(*input_scale) == std::vector<float>{given * (1.0f / 448.0f)});
    }
  }
  std::ifstream hf(s.path("out") / "hf_quant_config.json");
  const auto j = nlohmann::json::parse(hf);
  const auto& excluded = j["quantization"]["exclude_modules"];
  CHECK(std::find(excluded.begin(), excluded.end(), "model.layers.0.mlp.gate") != excluded.end());
}

TEST_CASE("fused experts, NVFP4 fake: gate and up quantized as one concatenated tensor") {
  Scratch s;
  write_checkpoint(s.path("m"), moe_layer(), 1, kConfig);
  const std::string cfg =
      "algorithm: max\nquant_cfg:\n  - {quantizer_name: '*', enable: false}\n"
      "  - {quantizer_name: '*experts*weight_quantizer', cfg: " +
      fmt_cfg(Fmt::nvfp4) + "}\n";
  const Run r = ptq(s, cfg, "out", "--mode fake");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const Checkpoint in = Checkpoint::open(s.path("m").string());
  const Checkpoint out = Checkpoint::open(s.path("out").string());
  const std::string p = kExperts + "0.";
  const std::vector<float> x = rows_of(in, {p + "gate_proj.weight", p + "up_proj.weight"});
  const std::vector<float> y = ref_fake_bf16(Fmt::nvfp4, x, {32, 32}, {amax_of(x)});
  const size_t half = y.size() / 2;
  CHECK(floats(*out.find(p + "gate_proj.weight")) ==
        std::vector<float>(y.begin(), y.begin() + static_cast<std::ptrdiff_t>(half)));
  CHECK(floats(*out.find(p + "up_proj.weight")) ==
        std::vector<float>(y.begin() + static_cast<std::ptrdiff_t>(half), y.end()));
}

TEST_CASE("--expert-layout: per-expert names when forced; a plan of the other layout is refused") {
  Scratch s;
  write_checkpoint(s.path("m"), moe_layer(), 1, kConfig);
  const std::string model = s.path("m").string();
  Run fused = qcfg("inventory " + model);
  REQUIRE(fused.status == 0);
  CHECK(fused.out.find(kExperts + "gate_up_proj_weight_quantizers.1") != std::string::npos);
  CHECK(fused.out.find("mlp.gate.weight_quantizer") == std::string::npos);
  Run per = qcfg("inventory " + model + " --expert-layout per-expert");
  REQUIRE(per.status == 0);
  CHECK(per.out.find(kExperts + "1.up_proj.weight_quantizer") != std::string::npos);
  CHECK(per.out.find("gate_up_proj") == std::string::npos);

  const std::string cfg = s.write("fp8.yaml", kExpertsFp8);
  const std::string plan = s.path("plan.json").string();
  Run c = qcfg("compile " + cfg + " --model " + model + " --expert-layout per-expert -o " + plan);
  REQUIRE_MESSAGE(c.status == 0, c.out);
  Run a = qcfg("apply " + plan + " --model " + model + " --out " + s.path("o1").string() +
               " --device cpu --quiet");
  CHECK(a.status == 1);
  CHECK(a.out.find("gate_up_proj_weight_quantizers.0") != std::string::npos);
  a = qcfg("apply " + plan + " --model " + model + " --out " + s.path("o2").string() +
           " --device cpu --quiet --expert-layout per-expert");
  CHECK_MESSAGE(a.status == 0, a.out);
  CHECK(qcfg("inventory " + model + " --expert-layout fuse").status == 2);
}

}  // namespace qcfg::test
