// lint's prediction of the exported hf_quant_config.json (lint/rules/export_plan.h, the table the
// runtime's exporter uses) against what ModelOpt 0.47 itself wrote for the same checkpoint and
// recipe (tests/modelopt/runs, made by tools/gpu/modelopt/): the serving-engine rules reason
// about exactly the file an engine would read.
#include "lint/rules/export_plan.h"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "driver/pipeline.h"
#include "resolver/inventory.h"

namespace fs = std::filesystem;
using namespace qcfg;

namespace {

const fs::path kGoldens = fs::path(QCFG_SOURCE_DIR) / "tests" / "modelopt";

// What of ModelOpt's hf_quant_config lint predicts, as one comparable line.
std::string summary(const std::string& algo, const std::string& kv,
                    const std::vector<std::string>& exclude) {
  return fmt::format("quant_algo={} kv={} exclude=[{}]", algo, kv, fmt::join(exclude, ","));
}

std::string modelopt_summary(const nlohmann::json& q) {
  auto str = [&](const char* k) {
    return q.value(k, nlohmann::json()).is_string() ? q[k].get<std::string>() : "";
  };
  return summary(str("quant_algo"), str("kv_cache_quant_algo"),
                 q.value("exclude_modules", std::vector<std::string>{}));
}

std::string lint_summary(const std::string& recipe, const resolver::Inventory& inventory) {
  LoadOptions lo;
  lo.recipe_root = (kGoldens / "recipes").string();
  SourceManager sources;
  Diagnostics diags;
  const auto config = load_quantize_config(recipe, lo, sources, diags);
  if (!config) return "recipe does not load";
  const resolver::Resolution r = resolver::resolve(inventory, config->quant_cfg, {});
  const lint::ExportPrediction p = lint::predict_export(r);
  return summary(p.quant_algo, p.kv_algo, p.exclude_modules);
}

}  // namespace

TEST_CASE("the predicted quant_algo, KV algorithm and exclude_modules are ModelOpt's") {
  std::map<std::string, resolver::Inventory> inventories;
  size_t compared = 0;
  for (const auto& e : fs::directory_iterator(kGoldens / "runs")) {
    nlohmann::json run;
    std::ifstream(e.path()) >> run;
    const nlohmann::json& exported = run["modes"]["export"];
    if (!exported.contains("hf_quant_config.json")) continue;  // ModelOpt failed to export
    const std::string arch = run["arch"], recipe = run["recipe"];
    if (!inventories.count(arch))
      inventories.emplace(arch,
                          resolver::load_inventory((kGoldens / "checkpoints" / arch).string()));
    CAPTURE(e.path().filename().string());
    CHECK(lint_summary((kGoldens / "recipes" / "general" / "ptq" / (recipe + ".yaml")).string(),
                       inventories.at(arch)) ==
          modelopt_summary(exported["hf_quant_config.json"]["quantization"]));
    ++compared;
  }
  CHECK(compared == 164);
}
