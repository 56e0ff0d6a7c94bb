// Checks before any output: a plan that cannot apply fails with a located message naming the
// quantizer, and nothing is written (no output directory, no temporary directory left behind).
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <fstream>

#include "checkpoint_gen.h"
#include "reference.h"

namespace qcfg::test {
namespace {

bool nothing_written(const Scratch& s, const std::string& out) {
  if (fs::exists(s.path(out))) return false;
  for (const auto& e : fs::directory_iterator(s.path("")))
    if (e.path().filename().string().find("qcfg-partial") != std::string::npos) return false;
  return true;
}

// FP8 weights and inputs of the down projections only: an activation quantizer to calibrate.
const char* const kDownProjFp8 =
    "algorithm: max\nquant_cfg:\n  - {quantizer_name: '*', enable: false}\n"
    "  - {quantizer_name: '*mlp.down_proj*_quantizer', cfg: {num_bits: e4m3, axis: null}}\n";

// `qcfg ptq CFG --model DIR/m --out DIR/out --device cpu --quiet EXTRA`.
Run ptq_model_m(const Scratch& s, const std::string& cfg, const std::string& extra = "") {
  return qcfg("ptq " + cfg + " --model " + s.path("m").string() + " --out " +
              s.path("out").string() + " --device cpu --quiet" + extra);
}

Run compile_and_apply(const Scratch& s, const std::string& cfg_text, const fs::path& compile_model,
                      const fs::path& apply_model, const std::string& mode) {
  const std::string cfg = s.write("cfg.yaml", cfg_text);
  const std::string plan = s.path("plan.json").string();
  const Run c = qcfg("compile " + cfg + " --model " + compile_model.string() + " -o " + plan);
  REQUIRE_MESSAGE(c.status == 0, c.out);
  return qcfg("apply " + plan + " --model " + apply_model.string() + " --out " +
              s.path("out").string() + " --mode " + mode + " --device cpu --quiet");
}

}  // namespace

TEST_CASE("grouped-weight MoE with a missing expert weight fails before writing") {
  Scratch s;
  write_checkpoint(s.path("full"), grouped_experts(4));
  write_checkpoint(s.path("gap"), grouped_experts(4, /*skip=*/2));
  for (const std::string mode : {"fake", "export"}) {
    const Run r = compile_and_apply(s, weight_only_config(fmt_cfg(Fmt::nvfp4)), s.path("full"),
                                    s.path("gap"), mode);
    CAPTURE(r.out);
    CHECK(r.status == 1);
    CHECK(r.out.find("decoder.layers.0.mlp.experts.linear_fc1.weight_quantizer") !=
          std::string::npos);
    CHECK(r.out.find("linear_fc1.weight2") != std::string::npos);
    CHECK(r.out.find("plan.json:") != std::string::npos);  // located in the plan
    CHECK(nothing_written(s, "out"));
  }
  SUBCASE("the last expert missing is caught by config.json's expert count") {
    write_checkpoint(s.path("short"), grouped_experts(4, /*skip=*/3), 1,
                     R"({"num_local_experts": 4})");
    const Run r = compile_and_apply(s, weight_only_config(fmt_cfg(Fmt::fp8)), s.path("full"),
                                    s.path("short"), "fake");
    CHECK(r.status == 1);
    CHECK(r.out.find("linear_fc1.weight3") != std::string::npos);
    CHECK(nothing_written(s, "out"));
  }
}

TEST_CASE("rotate_back with export is rejected before writing, naming the quantizer") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  const std::string cfg =
      weight_only_config("{num_bits: 8, axis: 0, rotate: {enable: true, mode: rotate_back}}");
  const Run r = compile_and_apply(s, cfg, s.path("m"), s.path("m"), "export");
  CHECK(r.status == 1);
  CHECK(r.out.find("rotate_back cannot be exported") != std::string::npos);
  CHECK(r.out.find("weight_quantizer") != std::string::npos);
  CHECK(nothing_written(s, "out"));
}

TEST_CASE("block sizes that do not divide the dim, and axis out of range, are rejected") {
  Scratch s;
  write_checkpoint(s.path("m"), {{"model.layers.0.mlp.down_proj.weight", {32, 40}}});
  Run r = compile_and_apply(s, weight_only_config(fmt_cfg(Fmt::nvfp4)), s.path("m"), s.path("m"),
                            "fake");
  CHECK(r.status == 1);
  CHECK(r.out.find("model.layers.0.mlp.down_proj.weight_quantizer") != std::string::npos);
  CHECK(r.out.find("not a multiple of the block size 16") != std::string::npos);
  CHECK(nothing_written(s, "out"));
  r = compile_and_apply(s, weight_only_config("{num_bits: 8, axis: 3}"), s.path("m"), s.path("m"),
                        "fake");
  CHECK(r.status == 1);
  CHECK(r.out.find("axis 3 is out of range") != std::string::npos);
  CHECK(nothing_written(s, "out"));
}

TEST_CASE("activation quantizers needing calibration are listed; --act-amax gives input scales") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  const std::string cfg = s.write("fp8.yaml", kDownProjFp8);
  Run r = qcfg("ptq " + cfg + " --model " + s.path("m").string() + " --out " +
               s.path("out").string() + " --mode export --device cpu");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(r.out.find("model.layers.0.mlp.down_proj.input_quantizer") != std::string::npos);
  CHECK(runtime::Checkpoint::open(s.path("out").string())
            .find("model.layers.0.mlp.down_proj.input_scale") == nullptr);
  const std::string amax =
      s.write("amax.json", R"({"model.layers.0.mlp.down_proj.input_quantizer": 8.96})");
  r = qcfg("ptq " + cfg + " --model " + s.path("m").string() + " --out " + s.path("out2").string() +
           " --mode export --device cpu --quiet --act-amax " + amax);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const auto o = runtime::Checkpoint::open(s.path("out2").string());
  const runtime::TensorRef* in_scale = o.find("model.layers.0.mlp.down_proj.input_scale");
  REQUIRE(in_scale != nullptr);
  CHECK(floats(*in_scale) == std::vector<float>{8.96f * (1.0f / 448.0f)});  // ModelOpt 0.47
}

TEST_CASE("JSON side files that are not small regular files are refused, never read") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  const std::string cfg = s.write("fp8.yaml",
                                  "algorithm: max\nquant_cfg:\n  - {quantizer_name: '*', enable: "
                                  "false}\n  - {quantizer_name: '*mlp.down_proj*_quantizer', "
                                  "cfg: {num_bits: e4m3, axis: null}}\n");
  const fs::path fifo = s.path("amax.fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const fs::path big = s.path("big.json");
  { std::ofstream(big) << "{}"; }
  fs::resize_file(big, qcfg::kMaxJsonFileBytes + 1);  // sparse
  const std::pair<fs::path, std::string> cases[] = {
      {fifo, "not a regular file"},
      {s.path("m"), "not a regular file"},
      {big, "file is 268435457 bytes, over the size limit"}};
  for (const auto& [amax, why] : cases) {
    CAPTURE(amax);
    const Run r = qcfg("ptq " + cfg + " --model " + s.path("m").string() + " --out " +
                       s.path("out").string() + " --mode export --device cpu --quiet --act-amax " +
                       amax.string());
    CAPTURE(r.out);
    CHECK(r.status == 2);
    CHECK(r.out.find(amax.string() + ": " + why) != std::string::npos);
    CHECK_FALSE(fs::exists(s.path("out")));
  }
}

TEST_CASE("plan and path problems: located plan errors, existing output, exit codes") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  const std::string bad =
      s.write("bad.json", "{\n  \"plan_version\": 7,\n  \"quantizers\": []\n}\n");
  Run r = qcfg("apply " + bad + " --model " + s.path("m").string() + " --out " +
               s.path("out").string());
  CHECK(r.status == 1);
  CHECK(r.out.find("bad.json:2:") != std::string::npos);
  CHECK(nothing_written(s, "out"));
  const std::string broken =
      s.write("broken.json", "{\"plan_version\": 1, \"quantizers\": [{\"name\": 3}]}");
  r = qcfg("apply " + broken + " --model " + s.path("m").string() + " --out " +
           s.path("out").string());
  CHECK(r.status == 1);
  CHECK(r.out.find("broken.json:1:") != std::string::npos);
  fs::create_directories(s.path("exists"));
  const std::string cfg = s.write("c.yaml", weight_only_config(fmt_cfg(Fmt::fp8)));
  r = qcfg("ptq " + cfg + " --model " + s.path("m").string() + " --out " +
           s.path("exists").string());
  CHECK(r.status == 2);
  CHECK(r.out.find("already exists") != std::string::npos);
  CHECK(qcfg("apply --help").status == 0);
  CHECK(qcfg("apply x.json --model m").status == 2);
  CHECK(qcfg("apply x.json --model m --out o --jobs 0").status == 2);
}

TEST_CASE("a plan over the size limit is refused before it is read; an unreadable one is named") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  const std::string model = " --model " + s.path("m").string() + " --out " + s.path("out").string();
  // Sparse, one byte over the plan limit (2 GiB): refused from its size, nothing of it read.
  const std::string huge = s.write("huge.json", "");
  fs::resize_file(huge, (uintmax_t{2} << 30) + 1);
  Run r = qcfg("apply " + huge + model);
  CHECK(r.status == 1);
  CHECK(r.out.size() < 4096);  // no excerpt of a 2 GiB line
  CHECK(r.out.find(huge +
                   ": error: file is 2147483649 bytes, over the size limit (limit 2147483648 "
                   "bytes; ") != std::string::npos);
  CHECK(r.out.find("[input-limit]") != std::string::npos);
  CHECK(nothing_written(s, "out"));
  const std::string missing = s.path("missing.json").string();
  r = qcfg("apply " + missing + model);
  CHECK(r.status == 1);
  CHECK(r.out.find(missing + ": error: cannot read '" + missing + "': ") != std::string::npos);
  CHECK(nothing_written(s, "out"));
}

TEST_CASE("ptq reports plan problems at the recipe entry, not in the in-memory plan") {
  Scratch s;
  write_checkpoint(s.path("m"), {{"model.layers.0.mlp.down_proj.weight", {32, 40}}});
  const std::string cfg = s.write("cfg.yaml", weight_only_config(fmt_cfg(Fmt::nvfp4)));
  const Run r = ptq_model_m(s, cfg);
  CAPTURE(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find("not a multiple of the block size 16") != std::string::npos);
  CHECK(r.out.find(cfg + ":4:") != std::string::npos);  // the '*weight_quantizer' entry's cfg
  CHECK(r.out.find("(compiled plan)") == std::string::npos);
  CHECK_FALSE(fs::exists(s.path("out")));
}

TEST_CASE("a NaN in a weight is an error naming the tensor") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  const std::string victim = "model.layers.0.self_attn.k_proj.weight";
  {
    const runtime::Checkpoint c = runtime::Checkpoint::open(s.path("m").string());
    const runtime::TensorRef* t = c.find(victim);
    REQUIRE(t != nullptr);
    std::fstream f(s.path("m") / t->file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(t->offset + 2));
    const char bf16_nan[2] = {static_cast<char>(0xc0), 0x7f};
    f.write(bf16_nan, 2);
  }
  const std::string cfg = s.write("cfg.yaml", weight_only_config(fmt_cfg(Fmt::fp8)));
  const Run r = ptq_model_m(s, cfg);
  CAPTURE(r.out);
  CHECK(r.status != 0);
  CHECK(r.out.find("tensor '" + victim + "'") != std::string::npos);
  CHECK(r.out.find("NaN") != std::string::npos);
  CHECK_FALSE(fs::exists(s.path("out")));
}

TEST_CASE("ptq refuses a calibration algorithm that changes the weights, unless max is accepted") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  std::string text = weight_only_config(fmt_cfg(Fmt::fp8));
  text.replace(text.find("algorithm: max"), 14, "algorithm: {method: gptq}");
  const std::string cfg = s.write("cfg.yaml", text);
  Run r = ptq_model_m(s, cfg);
  CAPTURE(r.out);
  CHECK(r.status == 1);
  CHECK(r.out.find(cfg + ":1:21: error: calibration algorithm 'gptq' is not run by qcfg") !=
        std::string::npos);
  CHECK_FALSE(fs::exists(s.path("out")));
  r = ptq_model_m(s, cfg, " --accept-max-calibration");
  CHECK(r.status == 0);
  CHECK(r.out.find("warning: calibration algorithm 'gptq'") != std::string::npos);
  CHECK(fs::exists(s.path("out")));
}

TEST_CASE("--act-amax: a key naming no activation quantizer, inf or a negative is an error") {
  Scratch s;
  write_checkpoint(s.path("m"), llama_like());
  const std::string cfg = s.write("fp8.yaml", kDownProjFp8);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"model.layers.0.mlp.down_proj.input_quantiser": 1.5})",
       "'model.layers.0.mlp.down_proj.input_quantiser' names no activation quantizer of this "
       "model; closest: model.layers.0.mlp.down_proj.input_quantizer"},
      {R"({"model.layers.0.mlp.down_proj.input_quantizer": 1e39})", "finite non-negative"},
      {R"({"model.layers.0.mlp.down_proj.input_quantizer": -2})", "finite non-negative"}};
  for (const auto& [text, message] : cases) {
    CAPTURE(text);
    const std::string amax = s.write("amax.json", text);
    const Run r = ptq_model_m(s, cfg, " --mode export --act-amax " + amax);
    CAPTURE(r.out);
    CHECK(r.status == 2);
    CHECK(r.out.find(amax + ": '") != std::string::npos);
    CHECK(r.out.find(message) != std::string::npos);
    CHECK_FALSE(fs::exists(s.path("out")));
  }
}

}  // namespace qcfg::test
