// Resolution on a DeepSeek-V3-shaped model: 61 layers (3 dense, 58 MoE with 256 routed experts and
// one shared expert), ~135k quantizers, with the entries of the largest real PTQ recipe. Prints
// the shape-indexed resolver's time next to the naive entry x quantizer loop, and peak RSS.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "bench/model_shapes.h"
#include "compiler/json_writer.h"
#include "driver/pipeline.h"
#include "resolver/plan.h"
#include "resolver/resolve.h"

using namespace qcfg;
using namespace qcfg::resolver;

namespace {

std::string largest_ptq_recipe() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(QCFG_SHARED_DIR) / "conformance/modelopt_recipes/general/ptq";
  std::string best;
  size_t best_entries = 0;
  for (const auto& f : fs::directory_iterator(dir)) {
    SourceManager sources;
    Diagnostics diags;
    auto qc = load_quantize_config(f.path().string(), LoadOptions{}, sources, diags);
    if (qc && qc->quant_cfg.size() > best_entries) {
      best_entries = qc->quant_cfg.size();
      best = f.path().string();
    }
  }
  return best;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

template <typename F>
double best_ms(int runs, F&& f) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const auto t1 = std::chrono::steady_clock::now();
    best = std::min(best, std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  return best;
}

}  // namespace

int main() {
  Inventory inv;
  const double build_ms = best_ms(1, [&] { inv = bench::moe_inventory(bench::kDeepseekV3); });
  const std::string recipe = largest_ptq_recipe();
  SourceManager sources;
  Diagnostics diags;
  auto qc = load_quantize_config(recipe, LoadOptions{}, sources, diags);
  if (!qc) {
    fmt::print(stderr, "cannot load {}\n", recipe);
    return 2;
  }
  const auto& entries = qc->quant_cfg;
  fmt::print("inventory: {} quantizers (DeepSeek-V3 shape), built in {:.1f} ms\n",
             inv.quantizers.size(), build_ms);
  fmt::print("recipe:    {} ({} entries)\n", recipe, entries.size());
  const long rss_before = peak_rss_kib();

  Resolution fast;
  const double fast_ms = best_ms(5, [&] { fast = resolve(inv, entries); });
  const long rss_fast = peak_rss_kib();
  ResolveOptions naive_options;
  naive_options.naive_matching = true;
  Resolution naive;
  const double naive_ms = best_ms(2, [&] { naive = resolve(inv, entries, naive_options); });

  bool same = fast.quantizers.size() == naive.quantizers.size();
  for (size_t i = 0; same && i < fast.quantizers.size(); ++i) {
    same = python_equal(node_enabled_value(fast.quantizers[i].node),
                        node_enabled_value(naive.quantizers[i].node)) &&
           python_equal(node_attributes_value(fast.quantizers[i].node),
                        node_attributes_value(naive.quantizers[i].node));
  }
  fmt::print("shape-indexed resolve: {:8.2f} ms  ({} shapes, {} shape matches, {} name matches)\n",
             fast_ms, fast.stats.shapes, fast.stats.shape_matches, fast.stats.name_matches);
  fmt::print("naive entry x quantizer loop: {:8.2f} ms  ({} name matches)  -> {:.1f}x\n", naive_ms,
             naive.stats.name_matches, naive_ms / fast_ms);
  fmt::print("same result: {}\n", same ? "yes" : "NO");
  // Streamed to a file, as `qcfg compile -o` does; the text is never whole in memory.
  const std::string plan_path = "/tmp/qcfg-bench-plan.json";
  size_t plan_bytes = 0;
  const double plan_ms = best_ms(1, [&] {
    std::ofstream out(plan_path, std::ios::binary | std::ios::trunc);
    write_plan_json(fast, out);
    plan_bytes = static_cast<size_t>(out.tellp());
  });
  std::remove(plan_path.c_str());
  fmt::print("plan JSON (with provenance) streamed to a file: {:.0f} ms, {:.1f} MiB\n", plan_ms,
             plan_bytes / 1048576.0);
  fmt::print(
      "peak RSS: {:.1f} MiB after inventory, {:.1f} MiB after resolving, {:.1f} MiB at end\n",
      rss_before / 1024.0, rss_fast / 1024.0, peak_rss_kib() / 1024.0);
  fmt::print("{}", plan_summary_text(fast));
  return same ? 0 : 1;
}
