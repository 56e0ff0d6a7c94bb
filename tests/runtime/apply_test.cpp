// `qcfg apply` on generated checkpoints: every output tensor equals the CPU reference bit for bit,
// in fake and export mode, for dense layers, per-expert MoE linears, fused 3-D experts (per
// expert) and grouped weight0..N (jointly calibrated).
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "checkpoint_gen.h"
#include "reference.h"

namespace qcfg::test {
namespace {

using runtime::Checkpoint;
using runtime::TensorRef;

const std::string kTensorsNotQuantized[] = {"model.embed_tokens.weight", "lm_head.weight",
                                            "model.layers.0.input_layernorm.weight",
                                            "decoder.layers.0.input_layernorm.weight"};

bool is_weight(const TensorRef& t) {
  for (const std::string& n : kTensorsNotQuantized)
    if (t.name == n) return false;
  return true;
}

// Compiles a weight-only config for `fmt` against `model` and applies it.
Run apply(const Scratch& s, Fmt fmt, const fs::path& model, const fs::path& out,
          const std::string& mode) {
  const std::string cfg =
      s.write(std::string("cfg-") + fmt_name(fmt) + ".yaml", weight_only_config(fmt_cfg(fmt)));
  const std::string plan = s.path(std::string("plan-") + fmt_name(fmt) + ".json").string();
  const Run c = qcfg("compile " + cfg + " --model " + model.string() + " -o " + plan);
  REQUIRE_MESSAGE(c.status == 0, c.out);
  return qcfg("apply " + plan + " --model " + model.string() + " --out " + out.string() +
              " --mode " + mode + " --device " + test_device() + " --jobs 3 --quiet");
}

// Dense and per-expert linears: one quantizer per weight. NVFP4 export unifies the global amax of
// sibling linears (q/k/v, gate/up: numerics.md §6.5); fake quant and the other formats of
// all_formats() (FP8 per tensor excluded by ModelOpt, no per-tensor amax otherwise) do not.
void check_dense(Fmt fmt, const Checkpoint& in, const Checkpoint& out, bool fake) {
  std::map<std::string, float> own;
  if (fmt == Fmt::nvfp4 && !fake)
    for (const TensorRef& t : in.tensors())
      if (is_weight(t)) own[t.name] = ref_amax(fmt, floats(t), t.shape).at(0);
  const std::map<std::string, float> unified = unified_amax(own);
  for (const TensorRef& t : in.tensors()) {
    CAPTURE(t.name);
    if (!is_weight(t)) {
      check_bytes(out, t.name, bytes(t));
      continue;
    }
    const std::vector<float> x = floats(t);
    auto amax = ref_amax(fmt, x, t.shape);
    if (unified.count(t.name)) amax = {unified.at(t.name)};
    if (fake) {
      const TensorRef* o = out.find(t.name);
      REQUIRE(o != nullptr);
      CHECK(o->dtype == t.dtype);
      CHECK(floats(*o) == ref_fake_bf16(fmt, x, t.shape, amax));
      continue;
    }
    for (const auto& [suffix, expected] : ref_export(fmt, x, t.shape, amax))
      check_bytes(out, suffix.empty() ? t.name : t.name + suffix, expected);
  }
}

}  // namespace

TEST_CASE("dense Llama-like layer with per-expert MoE linears: fake and export, every format") {
  Scratch s;
  const fs::path model = s.path("llama");
  write_checkpoint(model, llama_like());
  const Checkpoint in = Checkpoint::open(model.string());
  for (Fmt fmt : all_formats()) {
    for (const std::string mode : {"fake", "export"}) {
      CAPTURE(fmt_name(fmt));
      CAPTURE(mode);
      const fs::path out = s.path(std::string("out-") + fmt_name(fmt) + "-" + mode);
      const Run r = apply(s, fmt, model, out, mode);
      REQUIRE_MESSAGE(r.status == 0, r.out);
      const Checkpoint o = Checkpoint::open(out.string());
      check_dense(fmt, in, o, mode == "fake");
      CHECK(fs::exists(out / "tokenizer.json"));
      CHECK(fs::exists(out / "qcfg_runtime.json"));
      CHECK(fs::exists(out / "hf_quant_config.json") == (mode == "export"));
    }
  }
}

TEST_CASE("export writes hf_quant_config.json and quantization_config as ModelOpt does") {
  Scratch s;
  const fs::path model = s.path("llama");
  write_checkpoint(model, llama_like());
  REQUIRE(apply(s, Fmt::nvfp4, model, s.path("out"), "export").status == 0);
  std::ifstream hf_in(s.path("out") / "hf_quant_config.json");
  const auto hf = nlohmann::json::parse(hf_in);
  CHECK(hf["producer"]["name"] == "modelopt");
  CHECK(hf["quantization"]["quant_algo"] == "W4A16_NVFP4");
  CHECK(hf["quantization"]["group_size"] == 16);
  CHECK(hf["quantization"]["exclude_modules"] ==
        nlohmann::json::array({"lm_head", "model.embed_tokens"}));
  std::ifstream config_in(s.path("out") / "config.json");
  const auto config = nlohmann::json::parse(config_in);
  CHECK(config["architectures"][0] == "LlamaForCausalLM");
  const auto& qc = config["quantization_config"];
  CHECK(qc["quant_method"] == "modelopt");
  CHECK(qc["quant_algo"] == "W4A16_NVFP4");
  CHECK(qc["ignore"] == hf["quantization"]["exclude_modules"]);
  CHECK(qc["config_groups"]["group_0"]["weights"]["group_size"] == 16);
  const Checkpoint o = Checkpoint::open((s.path("out")).string());
  const TensorRef* w = o.find("model.layers.0.mlp.down_proj.weight");
  REQUIRE(w != nullptr);
  CHECK(w->dtype == "U8");
  CHECK(w->shape == std::vector<int64_t>{32, 32});
  CHECK(o.find("model.layers.0.mlp.down_proj.weight_scale")->dtype == "F8_E4M3");
  CHECK(o.find("model.layers.0.mlp.down_proj.weight_scale_2")->shape.empty());
}

TEST_CASE("fused 3-D experts: each expert calibrated and quantized on its own") {
  Scratch s;
  const fs::path model = s.path("fused");
  write_checkpoint(model, fused_experts(), 1, R"({"architectures": ["Qwen3MoeForCausalLM"]})");
  const Checkpoint in = Checkpoint::open(model.string());
  for (Fmt fmt : {Fmt::nvfp4, Fmt::int4_block16, Fmt::fp8}) {
    for (const std::string mode : {"fake", "export"}) {
      CAPTURE(fmt_name(fmt));
      CAPTURE(mode);
      const fs::path out = s.path(std::string("out-") + fmt_name(fmt) + mode);
      const Run r = apply(s, fmt, model, out, mode);
      REQUIRE_MESSAGE(r.status == 0, r.out);
      const Checkpoint o = Checkpoint::open(out.string());
      for (const char* name :
           {"model.layers.0.mlp.experts.gate_up_proj", "model.layers.0.mlp.experts.down_proj"}) {
        const TensorRef& t = *in.find(name);
        const std::vector<float> x = floats(t);
        const int64_t experts = t.shape[0];
        const size_t per = x.size() / static_cast<size_t>(experts);
        const numerics::Shape slice(t.shape.begin() + 1, t.shape.end());
        std::vector<float> fake;
        std::map<std::string, std::vector<uint8_t>> packed;
        for (int64_t e = 0; e < experts; ++e) {
          const std::vector<float> xe(x.begin() + e * per, x.begin() + (e + 1) * per);
          const auto amax = ref_amax(fmt, xe, slice);
          const auto fe = ref_fake_bf16(fmt, xe, slice, amax);
          fake.insert(fake.end(), fe.begin(), fe.end());
          for (const auto& [suffix, b] : ref_export(fmt, xe, slice, amax))
            packed[suffix].insert(packed[suffix].end(), b.begin(), b.end());
        }
        if (mode == "fake") {
          CHECK(floats(*o.find(name)) == fake);
        } else {
          for (const auto& [suffix, b] : packed)
            check_bytes(
                o, suffix.empty() ? std::string(name) : std::string(name) + "_weight" + suffix, b);
        }
      }
    }
  }
}

TEST_CASE("grouped weight0..N share one quantizer: calibrated jointly") {
  Scratch s;
  const fs::path model = s.path("grouped");
  write_checkpoint(model, grouped_experts(3), 1, R"({"num_moe_experts": 3})");
  const Checkpoint in = Checkpoint::open(model.string());
  for (Fmt fmt : {Fmt::nvfp4, Fmt::int8_axis0}) {
    for (const std::string mode : {"fake", "export"}) {
      CAPTURE(fmt_name(fmt));
      CAPTURE(mode);
      const fs::path out = s.path(std::string("out-") + fmt_name(fmt) + mode);
      const Run r = apply(s, fmt, model, out, mode);
      REQUIRE_MESSAGE(r.status == 0, r.out);
      const Checkpoint o = Checkpoint::open(out.string());
      std::vector<float> amax;
      for (const TensorRef& t : in.tensors())
        if (is_weight(t)) amax = joint(amax, ref_amax(fmt, floats(t), t.shape));
      for (const TensorRef& t : in.tensors()) {
        if (!is_weight(t)) continue;
        CAPTURE(t.name);
        const std::vector<float> x = floats(t);
        if (mode == "fake") {
          CHECK(floats(*o.find(t.name)) == ref_fake_bf16(fmt, x, t.shape, amax));
        } else {
          for (const auto& [suffix, b] : ref_export(fmt, x, t.shape, amax))
            check_bytes(o, t.name + suffix, b);
        }
      }
    }
  }
}

TEST_CASE("sharded input gives sharded output with an index; other files are copied") {
  Scratch s;
  const fs::path model = s.path("sharded");
  write_checkpoint(model, llama_like(), 3);
  const Run r = apply(s, Fmt::nvfp4, model, s.path("out"), "export");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  std::ifstream index_in(s.path("out") / "model.safetensors.index.json");
  const auto index = nlohmann::json::parse(index_in);
  const Checkpoint o = Checkpoint::open(s.path("out").string());
  CHECK(o.shard_files().size() == 3);
  CHECK(index["weight_map"]["model.layers.0.mlp.down_proj.weight_scale"] ==
        index["weight_map"]["model.layers.0.mlp.down_proj.weight"]);
  CHECK(index["metadata"]["total_size"].get<uint64_t>() == o.total_bytes());
  CHECK(fs::exists(s.path("out") / "tokenizer.json"));
  // ptq: compile and apply in one step gives the same bytes (--no-sync only skips the flush).
  const std::string cfg = s.write("ptq.yaml", weight_only_config(fmt_cfg(Fmt::nvfp4)));
  const Run p =
      qcfg("ptq " + cfg + " --model " + model.string() + " --out " + s.path("out-ptq").string() +
           " --mode export --device " + test_device() + " --no-sync --quiet");
  REQUIRE_MESSAGE(p.status == 0, p.out);
  const Checkpoint q = Checkpoint::open(s.path("out-ptq").string());
  for (const TensorRef& t : o.tensors()) {
    CAPTURE(t.name);
    REQUIRE(q.find(t.name) != nullptr);
    CHECK(bytes(*q.find(t.name)) == bytes(t));
  }
}

}  // namespace qcfg::test

namespace qcfg::test {
namespace {

std::string file_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// --devices: one worker pool per entry over one queue, largest items first. Listing the test
// device twice runs two pools on it (the multi-device path with one device); the output is the
// bytes of a one-device run, shards and index included.
TEST_CASE("--devices: a run spread over several worker pools writes the one-device bytes") {
  Scratch s;
  const fs::path model = s.path("sharded");
  write_checkpoint(model, llama_like(), 3);
  const std::string cfg = s.write("ptq.yaml", weight_only_config(fmt_cfg(Fmt::nvfp4)));
  const std::string pool = test_device() == "cuda" ? "0" : "cpu";
  for (const std::string mode : {"export", "fake"}) {
    CAPTURE(mode);
    const std::string one = s.path("one-" + mode).string(), two = s.path("two-" + mode).string();
    const Run a = qcfg("ptq " + cfg + " --model " + model.string() + " --out " + one +
                       " --mode " + mode + " --device " + test_device() + " --quiet");
    REQUIRE_MESSAGE(a.status == 0, a.out);
    const Run b = qcfg("ptq " + cfg + " --model " + model.string() + " --out " + two +
                       " --mode " + mode + " --devices " + pool + "," + pool + " --jobs 2");
    REQUIRE_MESSAGE(b.status == 0, b.out);
    const std::string label = pool == "cpu" ? "cpu,cpu" : "cuda:0,cuda:0";
    CHECK_MESSAGE(b.out.find(" on " + label) != std::string::npos, b.out);  // both pools ran
    for (const char* f : {"model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                          "model-00003-of-00003.safetensors", "model.safetensors.index.json"}) {
      CAPTURE(f);
      CHECK(file_bytes(fs::path(one) / f) == file_bytes(fs::path(two) / f));
    }
  }
}

TEST_CASE("--devices: an entry that is no visible device is refused before anything is written") {
  Scratch s;
  const fs::path model = s.path("m");
  write_checkpoint(model, llama_like(), 1);
  const std::string cfg = s.write("ptq.yaml", weight_only_config(fmt_cfg(Fmt::fp8)));
  for (const std::string bad : {"99", "gpu0", "0,-1", ""}) {
    CAPTURE(bad);
    const Run r = qcfg("ptq " + cfg + " --model " + model.string() + " --out " +
                       s.path("out").string() + " --devices '" + bad + "' --quiet");
    CHECK(r.status != 0);
    CHECK(r.out.find("--devices") != std::string::npos);
    CHECK_FALSE(fs::exists(s.path("out")));
  }
}

}  // namespace
}  // namespace qcfg::test
