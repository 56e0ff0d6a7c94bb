// Generates a Llama-shaped BF16 checkpoint of the requested size (sharded at ~2 GiB), measures the
// plain read bandwidth of its files, then applies an NVFP4 weight-only plan (export mode by
// default) and reports end-to-end GB/s of input consumed. Both figures come from the same run on
// the same files; the read runs first, so both see the page cache in the same state.
//
//   bench_runtime [--gb 0.25] [--dir DIR] [--mode export|fake] [--device auto|cuda|cpu] [--jobs N]
//                 [--no-sync] [--repeat 3]
// The output is flushed to disk (as `qcfg apply` does by default) unless --no-sync; the read
// baseline reads the page cache, so with a disk slower than memory the durable figure is bounded
// by the output's size over the disk's write bandwidth.
#include <fcntl.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/apply.h"
#include "runtime/safetensors_writer.h"

namespace fs = std::filesystem;
using namespace qcfg;

namespace {

constexpr int64_t kDim = 4096;  // every weight [4096, 4096] BF16 = 32 MiB
constexpr uint64_t kShardBytes = uint64_t{2} << 30;

struct Options {
  double gb = 0.25;
  std::string dir;
  std::string mode = "export";
  std::string device = "auto";
  int jobs = 2;
  bool sync = true;
  int repeat = 3;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--no-sync") {
      o.sync = false;
      --i;
      continue;
    }
    if (i + 1 >= argc) break;
    const std::string v = argv[i + 1];
    if (k == "--gb")
      o.gb = std::stod(v);
    else if (k == "--dir")
      o.dir = v;
    else if (k == "--mode")
      o.mode = v;
    else if (k == "--device")
      o.device = v;
    else if (k == "--jobs")
      o.jobs = std::stoi(v);
    else if (k == "--repeat")
      o.repeat = std::max(1, std::stoi(v));
  }
  if (o.dir.empty()) o.dir = (fs::temp_directory_path() / "qcfg-bench-runtime").string();
  return o;
}

// Pseudo-random BF16 bytes for one weight (a fresh pattern per tensor).
std::vector<uint16_t> weight_data(uint32_t seed) {
  std::vector<uint16_t> v(static_cast<size_t>(kDim * kDim));
  uint32_t s = seed * 2654435761u + 1;
  for (uint16_t& x : v) {
    s = s * 1664525u + 1013904223u;
    x = static_cast<uint16_t>(0x3c00u + ((s >> 16) & 0x03ffu) +
                              ((s >> 5) & 0x8000u));  // |x| in [2^-7, 2^-6)
  }
  return v;
}

std::vector<std::string> generate(const Options& o, const fs::path& model) {
  fs::remove_all(model);
  fs::create_directories(model);
  const uint64_t per = static_cast<uint64_t>(kDim * kDim * 2);
  const auto count = static_cast<int64_t>(o.gb * 1e9 / static_cast<double>(per)) + 1;
  const int64_t per_shard = static_cast<int64_t>(kShardBytes / per);
  const int64_t shards = (count + per_shard - 1) / per_shard;
  nlohmann::json index = {{"metadata", {{"total_size", count * static_cast<int64_t>(per)}}}};
  std::vector<std::string> names;
  for (int64_t s = 0; s < shards; ++s) {
    const std::string file = fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards);
    std::vector<runtime::OutputTensor> list;
    for (int64_t i = s * per_shard; i < std::min(count, (s + 1) * per_shard); ++i) {
      const std::string name = fmt::format("model.layers.{}.mlp.down_proj.weight", i);
      list.push_back({name, "BF16", {kDim, kDim}});
      index["weight_map"][name] = file;
      names.push_back(name);
    }
    runtime::SafetensorsWriter w((model / file).string(), list);
    for (size_t k = 0; k < list.size(); ++k) {
      const auto data = weight_data(static_cast<uint32_t>(s * per_shard + k));
      w.write(k, data.data(), data.size() * 2);
    }
    w.close();
  }
  std::ofstream(model / "model.safetensors.index.json") << index.dump();
  std::ofstream(model / "config.json") << R"({"architectures": ["LlamaForCausalLM"]})";
  return names;
}

// Plain sequential read() of every shard: the bandwidth a streaming runtime can hope for.
double read_bandwidth(const fs::path& model, uint64_t* total) {
  std::vector<char> buf(size_t{16} << 20);
  const auto start = std::chrono::steady_clock::now();
  *total = 0;
  for (const auto& e : fs::directory_iterator(model)) {
    if (e.path().extension() != ".safetensors") continue;
    const int fd = ::open(e.path().c_str(), O_RDONLY);
    ssize_t n;
    while ((n = ::read(fd, buf.data(), buf.size())) > 0) *total += static_cast<uint64_t>(n);
    ::close(fd);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return static_cast<double>(*total) / s / 1e9;
}

std::string nvfp4_plan(const std::vector<std::string>& weights) {
  nlohmann::json q = nlohmann::json::array();
  const nlohmann::json attrs = {
      {"num_bits", {2, 1}},
      {"block_sizes", {{"-1", 16}, {"type", "dynamic"}, {"scale_bits", {4, 3}}}},
      {"axis", nullptr},
      {"calibrator", "max"},
      {"rotate", false}};
  for (const std::string& w : weights) {
    const std::string module = w.substr(0, w.size() - 7);
    q.push_back({{"name", module + ".weight_quantizer"}, {"enabled", true}, {"attributes", attrs}});
    q.push_back({{"name", module + ".input_quantizer"}, {"enabled", false}, {"attributes", attrs}});
  }
  return nlohmann::json({{"plan_version", 1}, {"quantizers", q}}).dump();
}

// One apply of the plan (the output removed first); its summary.
runtime::ApplySummary apply_once(const runtime::Plan& plan, const runtime::ApplyOptions& a) {
  fs::remove_all(a.out_dir);
  Diagnostics diags;
  runtime::ApplySummary sum;
  if (!runtime::apply_plan(plan, a, diags, &sum)) throw std::runtime_error("plan did not apply");
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const fs::path model = fs::path(o.dir) / "model", out = fs::path(o.dir) / "out";
  const auto names = generate(o, model);
  // The baseline is the best of several reads: the machine's page-cache read bandwidth, not one
  // noisy sample of it.
  uint64_t total = 0;
  double read_gbs = 0;
  std::vector<std::string> reads;
  for (int i = 0; i < o.repeat; ++i) {
    const double gbs = read_bandwidth(model, &total);
    reads.push_back(fmt::format("{:.2f}", gbs));
    read_gbs = std::max(read_gbs, gbs);
  }
  SourceManager sources;
  const SourceFile* plan_text =
      sources.add("bench-plan.json", "bench-plan.json", nvfp4_plan(names));
  Diagnostics diags;
  const runtime::Plan plan = runtime::read_plan(*plan_text, diags);
  runtime::ApplyOptions a;
  a.model_dir = model.string();
  a.out_dir = out.string();
  a.mode = o.mode == "fake" ? runtime::Mode::fake : runtime::Mode::export_hf;
  a.device = o.device;
  a.jobs = o.jobs;
  a.sync = o.sync;
  a.progress = false;
  std::vector<runtime::ApplySummary> runs;
  for (int i = 0; i < o.repeat; ++i) runs.push_back(apply_once(plan, a));
  std::sort(runs.begin(), runs.end(),
            [](const auto& x, const auto& y) { return x.seconds < y.seconds; });
  const runtime::ApplySummary& sum = runs[runs.size() / 2];  // the median run
  auto gbs = [](const runtime::ApplySummary& s) {
    return static_cast<double>(s.bytes_read) / s.seconds / 1e9;
  };
  std::vector<std::string> applies;
  for (const auto& r : runs) applies.push_back(fmt::format("{:.2f}", gbs(r)));
  const double apply_gbs = gbs(sum);
  fmt::print("checkpoint      {:.2f} GB in {} tensors ({} shards)\n", total / 1e9, names.size(),
             (names.size() * 32 + 2047) / 2048);
  fmt::print(
      "read baseline   {:.2f} GB/s, best of {} plain read() passes over the same files ({})\n",
      read_gbs, o.repeat, fmt::join(reads, ", "));
  fmt::print(
      "apply NVFP4 {}  {:.2f} GB/s end to end (median of {}: {}) on {}, --jobs {}{}, {:.2f} s, "
      "{:.2f} GB written\n",
      o.mode, apply_gbs, o.repeat, fmt::join(applies, ", "), sum.device, o.jobs,
      o.sync ? "" : " --no-sync", sum.seconds, static_cast<double>(sum.bytes_written) / 1e9);
  fmt::print("ratio           {:.0f}% of read bandwidth\n", 100 * apply_gbs / read_gbs);
  fmt::print(
      "stages of the median run (s, summed over jobs)  read {:.2f}  compute {:.2f}  write {:.2f}  "
      "flush {:.2f}\n",
      sum.read_seconds, sum.compute_seconds, sum.write_seconds, sum.flush_seconds);
  fs::remove_all(o.dir);
  return 0;
}
