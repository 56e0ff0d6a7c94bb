// QC028: the exported checkpoint has a quant_algo or KV cache algorithm a --target engine does
// not load.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "lint/rule.h"
#include "lint/rules/export_plan.h"
#include "lint/rules/rule_util.h"
#include "lint/rules/serving_engines.h"

namespace qcfg::lint {
namespace {

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

std::string why(const ServingEngine& e, const std::string& algo) {
  const auto misread = e.misread ? e.misread(algo) : std::nullopt;
  return misread ? "; " + *misread : "";
}

class EngineUnsupportedFormat final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC028",
        "engine-unsupported-format",
        Severity::Warning,
        "the --target serving engine does not load the quant_algo or KV algorithm the export "
        "writes",
        "With `--target vllm|trtllm|sglang`, the rule predicts the `hf_quant_config.json` that "
        "`qcfg apply --mode export_hf` (and ModelOpt's unified export) writes for the model: "
        "each linear module's `quant_algo` from its weight and input quantizers, "
        "`MIXED_PRECISION` when modules differ, and `kv_cache_quant_algo` from the k/v BMM "
        "quantizers (one table, resolver/export_algo.h, shared with the runtime). It reports "
        "each entry whose format the engine's ModelOpt loader does not accept: vLLM loads FP8, "
        "FP8_PER_CHANNEL_PER_TOKEN, FP8_PB_WO, NVFP4, W4A16_NVFP4, MXFP8 and MIXED_PRECISION, "
        "KV FP8 and NVFP4; TensorRT-LLM loads the algorithms of its QuantAlgo enum (no "
        "W4A16_NVFP4, no bare `mxfp4`), KV FP8, INT8 and NVFP4; SGLang picks its FP8 or NVFP4 "
        "loader by substring of the name, so an MX checkpoint is read as the wrong format. The "
        "engine refuses such a checkpoint at load, or, worse, misreads its tensors.",
        "# --target vllm; model: a Llama checkpoint\nquant_cfg:\n  - quantizer_name: '*'\n"
        "    enable: false\n  - quantizer_name: '*weight_quantizer'\n    cfg: {num_bits: 4, "
        "block_sizes: {-1: 128}}\n",
        "quant_cfg:\n  - quantizer_name: '*'\n    enable: false\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: [2, 1], block_sizes: {-1: 16, type: dynamic, "
        "scale_bits: [4, 3]}}\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    for (const ConfigUnderLint& c : ctx.configs) {
      // auto_quantize candidates are searched per layer: their combination is not a plan.
      if (!c.resolution || c.partial || c.where.rfind("auto_quantize", 0) == 0) continue;
      const ExportPrediction p = predict_export(*c.resolution);
      for (const std::string& id : ctx.targets)
        if (const ServingEngine* e = find_serving_engine(id)) check_engine(ctx, c, p, *e, out);
    }
  }

 private:
  static void check_engine(const LintContext& ctx, const ConfigUnderLint& c,
                           const ExportPrediction& p, const ServingEngine& e, Reporter& out) {
    std::map<std::string, FindingsByEntry> by_algo;
    for (const ExportedModule& m : p.quantized) {
      const std::string n = e.normalize(p.mixed_precision ? m.algo : p.quant_algo);
      if (!listed(p.mixed_precision ? e.mixed_layer_algos : e.quant_algos, n))
        by_algo[m.algo][m.entry].push_back(m.module);
    }
    for (const auto& [algo, by_entry] : by_algo) {
      const std::string how = p.mixed_precision ? " layers of a MIXED_PRECISION checkpoint" : "";
      const std::string tail = why(e, algo);
      report_by_entry_or_import(ctx, c, by_entry, out,
                                [&](const std::string& entry, size_t n, const std::string& sample) {
                                  return fmt::format(
                                      "{} does not load quant_algo {}{}{}: entry {} gives "
                                      "it to {} module(s): {}",
                                      e.name, algo, how, tail, entry, n, sample);
                                });
    }
    if (p.kv_algo.empty() || listed(e.kv_algos, e.normalize(p.kv_algo)) || p.kv_entry < 0) return;
    FindingsByEntry kv;
    kv[p.kv_entry].push_back(p.kv_algo);
    report_by_entry_or_import(ctx, c, kv, out,
                              [&](const std::string& entry, size_t, const std::string&) {
                                return fmt::format(
                                    "{} does not load kv_cache_quant_algo {} (from entry {}); it "
                                    "loads {}",
                                    e.name, p.kv_algo, entry, fmt::join(e.kv_algos, ", "));
                              });
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc028_rule() {
  static const EngineUnsupportedFormat rule;
  return rule;
}

}  // namespace qcfg::lint
