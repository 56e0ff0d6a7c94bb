#include "tools/qcfg/cmd_resolve_common.h"

#include <fmt/format.h>

#include "driver/pipeline.h"
#include "tools/qcfg/output.h"

namespace qcfg::cli {

std::optional<resolver::Inventory> load_model_inventory(const Args& args) {
  const auto model = args.path_value("--model");
  const auto inventory = args.path_value("--inventory");
  if (model.has_value() == inventory.has_value())
    throw UsageError{"give exactly one of --model DIR and --inventory INV.json"};
  try {
    return model ? resolver::load_inventory(*model, expert_layout_option(args))
                 : resolver::load_inventory_file(*inventory);
  } catch (const resolver::InventoryError& e) {
    print_inventory_error(e);
    return std::nullopt;
  }
}

checkpoint::ExpertLayout expert_layout_option(const Args& args) {
  return checkpoint::parse_expert_layout(
      args.choice("--expert-layout", {"auto", "fused", "per-expert"}, "auto"));
}

void print_inventory_error(const resolver::InventoryError& e) {
  if (e.where().empty()) {
    fmt::print(stderr, "error: {} [inventory]\n", e.message());
  } else {
    fmt::print(stderr, "{}: error: {} [inventory]\n", e.where(), e.message());
  }
}

std::optional<QuantizeConfig> load_config_for_resolve(const std::string& path, const Args& args,
                                                      SourceManager& sources) {
  LoadOptions options;
  options.mode = ReadMode::Config;  // as `qcfg normalize` reads it (shared/spec/contract.md §1-2)
  options.recipe_root = args.value_or("--recipe-root", "");
  options.allow_outside_root = args.flag(kAllowOutsideRoot);
  Diagnostics diags;
  std::optional<QuantizeConfig> qc = load_quantize_config(path, options, sources, diags);
  print_diagnostics(diags);
  if (diags.has_errors()) return std::nullopt;
  return qc;
}

resolver::ResolveOptions resolve_options(const Args& args) {
  resolver::ResolveOptions o;
  if (args.choice("--initial", {"modelopt", "defaults"}, "modelopt") == "defaults")
    o.initial = resolver::InitialMode::Defaults;
  return o;
}

}  // namespace qcfg::cli
