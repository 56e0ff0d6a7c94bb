// QC029: vLLM would load a module the plan quantizes as unquantized, because of how it matches
// exclude_modules (substrings, its `foo*` rewrite) or the names it always skips.
#include <fmt/format.h>

#include <algorithm>

#include "lint/rule.h"
#include "lint/rules/export_plan.h"
#include "lint/rules/rule_util.h"
#include "lint/rules/serving_engines.h"

namespace qcfg::lint {
namespace {

// vLLM's ModelOpt loader keeps modules whose name contains one of these unquantized, whatever
// the checkpoint says (a fallback for checkpoints of ModelOpt before 0.39).
std::optional<std::string> vllm_always_skipped(const std::string& module) {
  for (const char* word : {"vision_tower", "vision_model", "visual"})
    if (module.find(word) != std::string::npos) return std::string(word);
  return std::nullopt;
}

class EngineExcludeMismatch final : public Rule {
 public:
  const RuleInfo& info() const override {
    static const RuleInfo i{
        "QC029",
        "engine-exclude-mismatch",
        Severity::Warning,
        "vLLM would load a module the plan quantizes as unquantized (its exclude_modules matching)",
        "The export lists the unquantized modules in `exclude_modules` as ModelOpt's "
        "prefix wildcards, meant for `fnmatch`. vLLM (`--target vllm`) reads them its own "
        "way: it rewrites `foo*` into `foo` and `foo.*`, then excludes a module when a pattern "
        "equals its name, is a *substring* of it, or matches it with fnmatch; and it never "
        "quantizes modules whose name contains `vision_tower`, `vision_model` or `visual`. A "
        "module the plan quantizes that vLLM treats as excluded gets an unquantized layer "
        "whose weights on disk are packed: the load fails or the layer computes garbage. "
        "Typical case: an unquantized MoE router `mlp.gate` is written as the exclude entry "
        "`...mlp.gate`, a substring of the quantized `...mlp.gate_proj`. TensorRT-LLM matches the "
        "patterns "
        "with fnmatch, as ModelOpt means them. SGLang's matching differs between its versions "
        "(a substring test in older `modelopt_quant.py`, a `*`-wildcard full match in newer "
        "code) and is not checked.",
        "# --target vllm; model: mlp.gate (router) and mlp.gate_proj in one layer\nquant_cfg:\n"
        "  - quantizer_name: '*'\n    enable: false\n  - quantizer_name: '*weight_quantizer'\n"
        "    cfg: {num_bits: [4, 3]}\n  - quantizer_name: '*mlp.gate.*'\n    enable: false\n",
        "# leave gate_proj unquantized too (vLLM would), or serve with TensorRT-LLM or SGLang\n"
        "quant_cfg:\n  - quantizer_name: '*'\n    enable: false\n  - quantizer_name: "
        "'*weight_quantizer'\n    cfg: {num_bits: [4, 3]}\n  - quantizer_name: "
        "'*mlp.gate*'\n    enable: false\n",
        "",
        true};
    return i;
  }

  void check(const LintContext& ctx, Reporter& out) const override {
    if (std::find(ctx.targets.begin(), ctx.targets.end(), "vllm") == ctx.targets.end()) return;
    for (const ConfigUnderLint& c : ctx.configs) {
      // auto_quantize candidates are searched per layer: their combination is not a plan.
      if (!c.resolution || c.partial || c.where.rfind("auto_quantize", 0) == 0) continue;
      const ExportPrediction p = predict_export(*c.resolution);
      if (p.mixed_precision) continue;  // layers are listed one by one, no exclude list
      FindingsByEntry by_entry;
      for (const ExportedModule& m : p.quantized) {
        if (auto word = vllm_always_skipped(m.module))
          by_entry[m.entry].push_back(fmt::format("{} (name contains '{}')", m.module, *word));
        else if (auto pattern = vllm_excluding_pattern(m.module, p.exclude_modules))
          by_entry[m.entry].push_back(fmt::format("{} (by '{}')", m.module, *pattern));
      }
      report_by_entry_or_import(ctx, c, by_entry, out,
                                [](const std::string& entry, size_t n, const std::string& sample) {
                                  return fmt::format(
                                      "vLLM would load {} module(s) that entry {} quantizes "
                                      "as unquantized (substring or `foo*` matching of "
                                      "exclude_modules, or names it always skips): {}",
                                      n, entry, sample);
                                });
    }
  }
};

}  // namespace

// Listed in lint/rules/all_rules.cpp.
const Rule& qc029_rule() {
  static const EngineExcludeMismatch rule;
  return rule;
}

}  // namespace qcfg::lint
