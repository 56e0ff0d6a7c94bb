// Export-time amax unification of sibling linears (shared/spec/numerics.md §6.5; the name rule of
// docs/runtime.md): in export mode q/k/v, gate/up (dense and per expert) and Mixtral w1/w3 share
// the group max of their per-tensor weight amax (NVFP4 global amax: weight_scale_2 and the block
// scales and codes computed relative to it) and of their --act-amax input amax. FP8 per tensor
// and fake quant keep each linear's own; a sibling quantized otherwise (or not at all) keeps its
// group apart.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "checkpoint_gen.h"
#include "reference.h"

namespace qcfg::test {
namespace {

using runtime::Checkpoint;
using runtime::TensorRef;

const std::string kQ = "model.layers.0.self_attn.q_proj";
const std::string kK = "model.layers.0.self_attn.k_proj";
const std::string kV = "model.layers.0.self_attn.v_proj";
const std::string kO = "model.layers.0.self_attn.o_proj";

bool is_linear(const TensorRef& t) { return t.shape.size() == 2; }

// Compiles `config` against `model` and applies it into s.path("out-" + tag).
Run compile_apply(const Scratch& s, const std::string& tag, const std::string& config,
                  const fs::path& model, const std::string& mode, const std::string& extra = "") {
  const std::string cfg = s.write("cfg-" + tag + ".yaml", config);
  const std::string plan = s.path("plan-" + tag + ".json").string();
  const Run c = qcfg("compile " + cfg + " --model " + model.string() + " -o " + plan);
  REQUIRE_MESSAGE(c.status == 0, c.out);
  return qcfg("apply " + plan + " --model " + model.string() + " --out " +
              s.path("out-" + tag).string() + " --mode " + mode + " --device " + test_device() +
              " --jobs 3 --quiet " + extra);
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Each linear's own per-tensor amax (NVFP4 dynamic: the global amax; static: max of the blocks).
std::map<std::string, float> own_amax(const Checkpoint& in) {
  std::map<std::string, float> own;
  for (const TensorRef& t : in.tensors())
    if (is_linear(t))
      own[t.name] = numerics::max_amax(floats(t), t.shape, numerics::PerTensor{})[0];
  return own;
}

// Every linear packed with `amax` (per tensor, by weight name) as the CPU reference packs it.
void check_export(Fmt fmt, const Checkpoint& in, const Checkpoint& out,
                  const std::map<std::string, float>& amax) {
  for (const TensorRef& t : in.tensors()) {
    if (!is_linear(t)) continue;
    CAPTURE(t.name);
    for (const auto& [suffix, b] : ref_export(fmt, floats(t), t.shape, {amax.at(t.name)}))
      check_bytes(out, t.name + suffix, b);
  }
}

std::string weight_quantizer(const std::string& weight) {
  return weight.substr(0, weight.size() - 7) + ".weight_quantizer";
}

}  // namespace

TEST_CASE("NVFP4 export: sibling linears share the group max global amax") {
  Scratch s;
  const fs::path model = s.path("m");
  write_checkpoint(model, sibling_linears(), 2);  // siblings spread over both shards
  const Checkpoint in = Checkpoint::open(model.string());
  const Run r = compile_apply(s, "nvfp4", weight_only_config(fmt_cfg(Fmt::nvfp4)), model, "export");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const Checkpoint out = Checkpoint::open(s.path("out-nvfp4").string());
  const auto own = own_amax(in);
  const auto unified = unified_amax(own);

  // The generated amaxes differ inside every group, so unification changes the bytes.
  CHECK(own.at(kQ + ".weight") < own.at(kK + ".weight"));
  CHECK(unified.at(kQ + ".weight") == own.at(kK + ".weight"));
  CHECK(unified.at(kV + ".weight") == own.at(kK + ".weight"));
  CHECK(unified.at(kO + ".weight") == own.at(kO + ".weight"));
  check_export(Fmt::nvfp4, in, out, unified);

  for (const std::string& m : {kQ, kK, kV, std::string("model.layers.0.mlp.gate_proj"),
                               std::string("model.layers.0.mlp.up_proj")}) {
    CAPTURE(m);
    const float g = unified.at(m + ".weight");
    CHECK(floats(*out.find(m + ".weight_scale_2")) == std::vector<float>{g / 2688.0f});
  }
  // Per-expert gate/up (sync_moe_gate_up_amax) and Mixtral w1/w3: unified within each expert only.
  const std::string e0 = "model.layers.1.mlp.experts.0.", e1 = "model.layers.1.mlp.experts.1.";
  const std::string mx = "model.layers.1.block_sparse_moe.experts.0.";
  CHECK(bytes(*out.find(e0 + "gate_proj.weight_scale_2")) ==
        bytes(*out.find(e0 + "up_proj.weight_scale_2")));
  CHECK(bytes(*out.find(e1 + "gate_proj.weight_scale_2")) ==
        bytes(*out.find(e1 + "up_proj.weight_scale_2")));
  CHECK(bytes(*out.find(e0 + "gate_proj.weight_scale_2")) !=
        bytes(*out.find(e1 + "gate_proj.weight_scale_2")));
  CHECK(unified.at(mx + "w1.weight") == own.at(mx + "w3.weight"));
  CHECK(unified.at(mx + "w2.weight") == own.at(mx + "w2.weight"));
  // BERT's query/key/value read the same input too.
  const std::string bert = "encoder.layer.0.attention.";
  CHECK(unified.at(bert + "self.query.weight") == own.at(bert + "self.value.weight"));
  CHECK(unified.at(bert + "output.dense.weight") == own.at(bert + "output.dense.weight"));
  CHECK(bytes(*out.find(bert + "self.key.weight_scale_2")) ==
        bytes(*out.find(bert + "self.value.weight_scale_2")));

  // Every output still lives in the shard of its source weight.
  const auto index = read_json(s.path("out-nvfp4") / "model.safetensors.index.json");
  for (const TensorRef& t : in.tensors())
    if (is_linear(t))
      for (const char* suffix : {"_scale", "_scale_2"})
        CHECK(index["weight_map"][t.name + suffix] == index["weight_map"][t.name]);

  // The report gives the value export used, the quantizer's own and the siblings.
  const auto report = read_json(s.path("out-nvfp4") / "qcfg_runtime.json");
  const auto& q = report["weight_amax"][kQ + ".weight_quantizer"][0];
  CHECK(q["amax"].get<float>() == unified.at(kQ + ".weight"));
  CHECK(q["calibrated_amax"].get<float>() == own.at(kQ + ".weight"));
  CHECK(q["unified_with"] ==
        nlohmann::json::array({kK + ".weight_quantizer", kV + ".weight_quantizer"}));
  CHECK(!report["weight_amax"][kO + ".weight_quantizer"][0].contains("unified_with"));
}

TEST_CASE("static NVFP4 export: the global amax is unified, block amax stay each linear's own") {
  Scratch s;
  const fs::path model = s.path("m");
  write_checkpoint(model, sibling_linears());
  const Checkpoint in = Checkpoint::open(model.string());
  const Run r = compile_apply(
      s, "static",
      weight_only_config("{num_bits: e2m1, block_sizes: {-1: 16, type: static, scale_bits: e4m3}}"),
      model, "export");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const Checkpoint out = Checkpoint::open(s.path("out-static").string());
  const auto unified = unified_amax(own_amax(in));
  for (const TensorRef& t : in.tensors()) {
    if (!is_linear(t)) continue;
    CAPTURE(t.name);
    const std::vector<float> x = floats(t);
    const auto blocks = numerics::max_amax(x, t.shape, numerics::PerBlock{16, 1});
    const auto p =
        numerics::pack_nvfp4_static(x, numerics::as_matrix(t.shape), blocks, unified.at(t.name));
    check_bytes(out, t.name, p.codes);
    check_bytes(out, t.name + "_scale", p.scales);
    check_bytes(out, t.name + "_scale_2", as_bytes(std::vector<float>{p.global_scale}));
  }
  const auto report = read_json(s.path("out-static") / "qcfg_runtime.json");
  const auto& k = report["weight_amax"][weight_quantizer(kK + ".weight")][0];
  CHECK(k["global_amax"].get<float>() == unified.at(kK + ".weight"));
  CHECK(k["unified_with"].size() == 2);
}

TEST_CASE("FP8 per-tensor export and fake quant keep each linear's own amax") {
  Scratch s;
  const fs::path model = s.path("m");
  write_checkpoint(model, sibling_linears());
  const Checkpoint in = Checkpoint::open(model.string());
  const auto own = own_amax(in);
  for (const auto& [fmt, mode] : {std::pair{Fmt::fp8, "export"}, std::pair{Fmt::nvfp4, "fake"}}) {
    CAPTURE(fmt_name(fmt));
    const std::string tag = std::string(fmt_name(fmt)) + "-" + mode;
    const Run r = compile_apply(s, tag, weight_only_config(fmt_cfg(fmt)), model, mode);
    REQUIRE_MESSAGE(r.status == 0, r.out);
    const Checkpoint out = Checkpoint::open(s.path("out-" + tag).string());
    if (std::string(mode) == "export") {
      check_export(fmt, in, out, own);
      CHECK(floats(*out.find(kQ + ".weight_scale")) ==
            std::vector<float>{own.at(kQ + ".weight") * (1.0f / 448.0f)});
    } else {
      for (const TensorRef& t : in.tensors()) {
        if (!is_linear(t)) continue;
        CAPTURE(t.name);
        const std::vector<float> x = floats(t);
        CHECK(floats(*out.find(t.name)) == ref_fake_bf16(fmt, x, t.shape, {own.at(t.name)}));
      }
    }
    const auto report = read_json(s.path("out-" + tag) / "qcfg_runtime.json");
    for (const auto& [name, records] : report["weight_amax"].items())
      CHECK_MESSAGE(!records[0].contains("unified_with"), name);
  }
}

TEST_CASE("a sibling quantized otherwise (here: disabled) keeps its group from being unified") {
  Scratch s;
  const fs::path model = s.path("m");
  write_checkpoint(model, sibling_linears());
  const Checkpoint in = Checkpoint::open(model.string());
  const Run r = compile_apply(s, "no-v",
                              weight_only_config(fmt_cfg(Fmt::nvfp4)) +
                                  "  - {quantizer_name: '*self_attn.v_proj*', enable: false}\n",
                              model, "export");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const Checkpoint out = Checkpoint::open(s.path("out-no-v").string());
  auto amax = unified_amax(own_amax(in));
  const auto own = own_amax(in);
  amax[kQ + ".weight"] = own.at(kQ + ".weight");
  amax[kK + ".weight"] = own.at(kK + ".weight");
  CHECK(bytes(*out.find(kV + ".weight")) == bytes(*in.find(kV + ".weight")));
  CHECK(out.find(kV + ".weight_scale_2") == nullptr);
  for (const TensorRef& t : in.tensors()) {
    if (!is_linear(t) || t.name == kV + ".weight") continue;
    CAPTURE(t.name);
    for (const auto& [suffix, b] : ref_export(Fmt::nvfp4, floats(t), t.shape, {amax.at(t.name)}))
      check_bytes(out, t.name + suffix, b);
  }
  // gate/up are still unified.
  CHECK(amax.at("model.layers.0.mlp.gate_proj.weight") ==
        own.at("model.layers.0.mlp.up_proj.weight"));
}

TEST_CASE("--act-amax: sibling input amax unified for NVFP4, not for FP8 per tensor") {
  Scratch s;
  const fs::path model = s.path("m");
  write_checkpoint(model, sibling_linears());
  const std::string amax = s.write("amax.json", nlohmann::json{{kQ + ".input_quantizer", 2.0},
                                                               {kK + ".input_quantizer", 5.0},
                                                               {kV + ".input_quantizer", 3.0},
                                                               {kO + ".input_quantizer", 7.0}}
                                                    .dump());
  for (Fmt fmt : {Fmt::nvfp4, Fmt::fp8}) {
    CAPTURE(fmt_name(fmt));
    const std::string cfg =
        "algorithm: max\nquant_cfg:\n  - {quantizer_name: '*', enable: false}\n"
        "  - {quantizer_name: '*self_attn*_quantizer', cfg: " +
        fmt_cfg(fmt) + "}\n";
    const Run r = compile_apply(s, fmt_name(fmt), cfg, model, "export", "--act-amax " + amax);
    REQUIRE_MESSAGE(r.status == 0, r.out);
    const Checkpoint out = Checkpoint::open(s.path(std::string("out-") + fmt_name(fmt)).string());
    const float bound = fmt == Fmt::nvfp4 ? 2688.0f : 448.0f;
    const bool unified = fmt == Fmt::nvfp4;
    auto input_scale = [&](const std::string& m) { return floats(*out.find(m + ".input_scale")); };
    CHECK(input_scale(kQ) == std::vector<float>{(unified ? 5.0f : 2.0f) * (1.0f / bound)});
    CHECK(input_scale(kK) == std::vector<float>{5.0f * (1.0f / bound)});
    CHECK(input_scale(kV) == std::vector<float>{(unified ? 5.0f : 3.0f) * (1.0f / bound)});
    CHECK(input_scale(kO) == std::vector<float>{7.0f * (1.0f / bound)});
    const auto report =
        read_json(s.path(std::string("out-") + fmt_name(fmt)) / "qcfg_runtime.json");
    const auto& u = report["unified_input_amax"];
    CHECK(u.size() == (unified ? 3u : 0u));
    if (unified) {
      CHECK(u[kQ + ".input_quantizer"]["amax"] == 5.0);
      CHECK(u[kQ + ".input_quantizer"]["given_amax"] == 2.0);
      CHECK(u[kQ + ".input_quantizer"]["unified_with"] ==
            nlohmann::json::array({kK + ".input_quantizer", kV + ".input_quantizer"}));
    }
  }
}

}  // namespace qcfg::test
