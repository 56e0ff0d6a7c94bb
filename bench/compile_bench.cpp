// `qcfg compile` on giant models, as whole processes, with the stages timed in-process:
//  - DeepSeek-V3-shaped JSON inventory (135k quantizers), Kimi-K2-shaped (209k), and a 163-shard
//    DeepSeek-V3-shaped safetensors header set (`--model`), with the largest real PTQ recipe;
//  - baselines in the same run: the same process with a one-entry recipe, the reference
//    (nlohmann) readers of the same inventory and headers, plan_version 1 next to 2, and, given
//    `--modelopt-python PATH` (a python with nvidia-modelopt 0.47), ModelOpt's own
//    set_quantizer_by_cfg on the DeepSeek-V3 quantizer names (bench/modelopt_loop.py).
// Usage: build/bench/bench_compile [--modelopt-python PATH] [WORKDIR]  (default
// /tmp/qcfg-bench-compile; inputs are generated there once and reused).
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bench/model_shapes.h"
#include "bench/modelopt_baseline.h"
#include "compiler/json_writer.h"
#include "driver/pipeline.h"
#include "resolver/checkpoint_inventory.h"
#include "resolver/inventory_fast.h"
#include "resolver/plan.h"
#include "resolver/resolve.h"
#include "runtime/plan_reader.h"

using namespace qcfg;
namespace fs = std::filesystem;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

template <typename F>
double best_ms(int runs, F&& f) {  // in-process stages
  double best = 1e300;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    best = std::min(best, ms_since(t0));
  }
  return best;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return std::move(s).str();
}

struct ProcessTime {
  double wall_ms = 1e300;
  double cpu_ms = 1e300;  // user + system: what the process itself used, whatever the load
};

// A whole `qcfg` process, best of `runs` (wall and CPU separately); exits on failure.
ProcessTime process_time(const std::vector<std::string>& argv, int runs = 5) {
  ProcessTime best;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const pid_t pid = fork();
    if (pid == 0) {
      std::vector<char*> args;
      for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
    int status = 0;
    rusage usage{};
    wait4(pid, &status, 0, &usage);
    const double wall = ms_since(t0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::string cmd;
      for (const std::string& a : argv) cmd += a + " ";
      fmt::print(stderr, "failed: {}\n", cmd);
      std::exit(2);
    }
    const auto ms = [](const timeval& t) { return t.tv_sec * 1e3 + t.tv_usec / 1e3; };
    best.wall_ms = std::min(best.wall_ms, wall);
    best.cpu_ms = std::min(best.cpu_ms, ms(usage.ru_utime) + ms(usage.ru_stime));
  }
  return best;
}

double mb_per_s(size_t bytes, double ms) { return bytes / 1e6 / (ms / 1e3); }

std::string largest_recipe() {
  return (fs::path(QCFG_SHARED_DIR) /
          "conformance/modelopt_recipes/general/ptq/nvfp4_mlp_only-novit-kv_fp8.yaml")
      .string();
}

void write_text(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary) << text;
}

// The inventory file of `shape` (as `qcfg inventory` writes it), generated once.
fs::path inventory_file(const fs::path& work, const bench::MoeShape& shape) {
  const fs::path p = work / (std::string(shape.origin) + ".json");
  if (!fs::exists(p))
    write_text(p, to_json(resolver::inventory_to_value(bench::moe_inventory(shape))) + "\n");
  return p;
}

void inventory_reading(const fs::path& file) {
  const std::string text = slurp(file);
  resolver::Inventory fast, ref;
  const double fast_ms = best_ms(5, [&] { fast = *resolver::inventory_from_json_fast(text, "x"); });
  const double ref_ms =
      best_ms(2, [&] { ref = resolver::inventory_from_json_reference(text, "x"); });
  const bool same = to_json(inventory_to_value(fast)) == to_json(inventory_to_value(ref));
  fmt::print(
      "  read {} ({:.1f} MB, {} quantizers): fast {:.1f} ms = {:.0f} MB/s; "
      "reference (nlohmann DOM) {:.1f} ms = {:.0f} MB/s -> {:.1f}x; same: {}\n",
      file.filename().string(), text.size() / 1e6, fast.quantizers.size(), fast_ms,
      mb_per_s(text.size(), fast_ms), ref_ms, mb_per_s(text.size(), ref_ms), ref_ms / fast_ms,
      same ? "yes" : "NO");
}

void header_reading(const fs::path& dir, size_t header_bytes) {
  std::vector<fs::path> shards;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".safetensors") shards.push_back(e.path());
  size_t tensors = 0;
  const double ms = best_ms(5, [&] {
    tensors = 0;
    for (const fs::path& s : shards)
      tensors += checkpoint::read_safetensors_header(s.string()).tensors.size();
  });
  fmt::print("  read {} shard headers ({:.1f} MB, {} tensors): {:.1f} ms = {:.0f} MB/s\n",
             shards.size(), header_bytes / 1e6, tensors, ms, mb_per_s(header_bytes, ms));
}

// `qcfg compile`'s stages in this process: loading the model, resolving, writing plan v2.
void compile_stages(const std::string& what, const fs::path& model, const std::string& recipe) {
  SourceManager sources;
  Diagnostics diags;
  const auto qc = load_quantize_config(recipe, LoadOptions{}, sources, diags);
  if (!qc) std::exit(2);
  resolver::Inventory inv;
  const double load_ms = best_ms(3, [&] { inv = resolver::load_inventory(model.string()); });
  resolver::Resolution r;
  const double resolve_ms = best_ms(3, [&] { r = resolver::resolve(inv, qc->quant_cfg); });
  resolver::PlanOptions po;
  po.version = 2;
  size_t bytes = 0;
  const double write_ms = best_ms(3, [&] {
    std::ofstream out("/tmp/qcfg-bench-stage-plan.json", std::ios::binary | std::ios::trunc);
    resolver::write_plan_json(r, out, po);
    bytes = static_cast<size_t>(out.tellp());
  });
  std::remove("/tmp/qcfg-bench-stage-plan.json");
  fmt::print("  {}: load {:.1f} ms, resolve {:.1f} ms, write plan v2 {:.1f} ms ({:.1f} MB)\n", what,
             load_ms, resolve_ms, write_ms, bytes / 1e6);
}

// read_plan (the fast reader for plan_version 2) against the document reader, same file held in
// memory; the file read itself is left out of both.
void plan_reading(const fs::path& plan, int reference_runs) {
  SourceManager sources;
  const SourceFile& file = *sources.add(plan.string(), plan.string(), slurp(plan));
  const size_t bytes = file.text.size();
  size_t n = 0;
  const double ms = best_ms(3, [&] {
    Diagnostics diags;
    n = runtime::read_plan(file, diags).quantizers.size();
  });
  fmt::print("  read_plan {} ({:.1f} MB, {} quantizers): {:.0f} ms = {:.0f} MB/s",
             plan.filename().string(), bytes / 1e6, n, ms, mb_per_s(bytes, ms));
  if (reference_runs == 0) return fmt::print("\n");
  const double ref_ms = best_ms(reference_runs, [&] {
    Diagnostics diags;
    (void)runtime::read_plan_by_document_reader(file, diags);
  });
  fmt::print("; document reader {:.0f} ms = {:.0f} MB/s -> {:.1f}x\n", ref_ms,
             mb_per_s(bytes, ref_ms), ref_ms / ms);
}

// Enabled TensorQuantizers in a plan (each stage of a SequentialQuantizer is one), as
// modelopt_loop.py counts them.
long enabled_quantizers(const fs::path& plan) {
  SourceManager sources;
  const SourceFile& file = *sources.add(plan.string(), plan.string(), slurp(plan));
  Diagnostics diags;
  long n = 0;
  for (const runtime::PlanQuantizer& q : runtime::read_plan(file, diags).quantizers)
    for (const runtime::PlanStage& s : q.stages) n += s.enabled;
  return n;
}

// ModelOpt's loop on the DeepSeek-V3 names against the qcfg process `ds`, measured in this run;
// without a python, the qcfg figure alone.
void modelopt_ratio(const std::string& python, const fs::path& work, const fs::path& inventory,
                    const std::string& recipe, const fs::path& plan, const ProcessTime& ds) {
  if (python.empty()) {
    fmt::print(
        "  ModelOpt's loop not run (no --modelopt-python PATH): no ratio; qcfg on DeepSeek-V3 "
        "wall {:.1f} ms, CPU {:.1f} ms\n",
        ds.wall_ms, ds.cpu_ms);
    return;
  }
  std::string why;
  const auto mo = bench::run_modelopt_loop(python, inventory.string(), recipe,
                                           (work / "modelopt-loop.log").string(), &why);
  if (!mo) {
    fmt::print("  ModelOpt's loop not measured ({}): no ratio\n", why);
    return;
  }
  const long ours = enabled_quantizers(plan);
  fmt::print(
      "  ModelOpt's set_quantizer_by_cfg on DeepSeek-V3 (stand-in module tree, this run): wall "
      "{:.0f} ms, CPU {:.0f} ms -> {:.0f}x the qcfg process's wall time, {:.0f}x its CPU time "
      "(target >= 100x); enabled quantizers: ModelOpt {}, qcfg {} ({})\n",
      mo->wall_ms, mo->cpu_ms, mo->wall_ms / ds.wall_ms, mo->cpu_ms / ds.cpu_ms, mo->enabled, ours,
      mo->enabled == ours ? "same" : "DIFFERENT");
}

}  // namespace

int main(int argc, char** argv) {
  std::string python;
  fs::path work = "/tmp/qcfg-bench-compile";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--modelopt-python" && i + 1 < argc) {
      python = argv[++i];
    } else if (!a.empty() && a[0] == '-') {
      fmt::print(stderr, "usage: bench_compile [--modelopt-python PATH] [WORKDIR]\n");
      return 2;
    } else {
      work = a;
    }
  }
  fs::create_directories(work);
  const std::string qcfg = QCFG_EXE;
  const std::string recipe = largest_recipe();
  const fs::path one_entry = work / "one_entry.yaml";
  write_text(one_entry, "quant_cfg:\n  - quantizer_name: '*'\n    enable: false\n");
  const fs::path ds_file = inventory_file(work, bench::kDeepseekV3);
  const fs::path kimi = inventory_file(work, bench::kKimiK2);
  const fs::path ckpt = work / "deepseek-v3-163-shards";
  if (!fs::exists(ckpt)) bench::write_deepseek_v3_checkpoint(ckpt.string());
  size_t header_bytes = 0;
  for (const auto& e : fs::directory_iterator(ckpt))
    if (e.path().extension() == ".safetensors") {
      std::ifstream in(e.path(), std::ios::binary);
      unsigned char len[8];
      in.read(reinterpret_cast<char*>(len), 8);
      uint64_t n = 0;
      for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
      header_bytes += n;
    }
  const std::string plan2 = (work / "plan-v2.json").string(),
                    plan1 = (work / "plan-v1.json").string();
  fmt::print("recipe: {}\n", recipe);
  fmt::print("stages, in process:\n");
  inventory_reading(ds_file);
  inventory_reading(kimi);
  header_reading(ckpt, header_bytes);
  compile_stages("DeepSeek-V3 inventory", ds_file, recipe);
  compile_stages("DeepSeek-V3 163 shards", ckpt, recipe);
  compile_stages("Kimi-K2 inventory", kimi, recipe);

  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  fmt::print("whole `qcfg compile` processes, best of 5 (load average {:.1f}; CPU = user + sys):\n",
             load[0]);
  auto compile = [&](const std::string& model_flag, const fs::path& model, const std::string& cfg,
                     const std::string& out, const char* version) {
    return process_time({qcfg, "compile", cfg, model_flag, model.string(), "--format", "json", "-o",
                         out, "--plan-version", version});
  };
  const ProcessTime ds = compile("--inventory", ds_file, recipe, plan2, "2");
  const ProcessTime ds_one =
      compile("--inventory", ds_file, one_entry.string(), plan2 + ".one", "2");
  const ProcessTime ds_v1 = compile("--inventory", ds_file, recipe, plan1, "1");
  compile("--inventory", ds_file, recipe, plan2, "2");  // leave the v2 plan of the real recipe
  const ProcessTime ckpt_t =
      compile("--model", ckpt, recipe, (work / "plan-ckpt.json").string(), "2");
  const ProcessTime kimi_t =
      compile("--inventory", kimi, recipe, (work / "plan-kimi.json").string(), "2");
  auto row = [](const char* what, const ProcessTime& t, double target) {
    fmt::print("  {:<50} wall {:7.1f} ms  CPU {:7.1f} ms  (target <= {:.0f} ms: wall {}, CPU {})\n",
               what, t.wall_ms, t.cpu_ms, target, t.wall_ms <= target ? "met" : "missed",
               t.cpu_ms <= target ? "met" : "missed");
  };
  row("DeepSeek-V3 inventory, largest PTQ recipe, plan v2", ds, 150);
  row("DeepSeek-V3 inventory, one-entry recipe, plan v2", ds_one, 150);
  row("DeepSeek-V3 inventory, largest PTQ recipe, plan v1", ds_v1, 150);
  row("DeepSeek-V3 163-shard headers (--model), plan v2", ckpt_t, 200);
  row("Kimi-K2 inventory (209k quantizers), plan v2", kimi_t, 250);
  modelopt_ratio(python, work, ds_file, recipe, plan2, ds);
  fmt::print(
      "plans of DeepSeek-V3, largest PTQ recipe: v1 {:.1f} MB, v2 {:.1f} MB ({:.1f}x smaller; "
      "target <= 20 MB)\n",
      fs::file_size(plan1) / 1e6, fs::file_size(plan2) / 1e6,
      double(fs::file_size(plan1)) / fs::file_size(plan2));
  plan_reading(plan2, 2);
  plan_reading(work / "plan-kimi.json", 1);
  plan_reading(plan1, 0);  // v1 has no fast reader: the document reader
  return 0;
}
