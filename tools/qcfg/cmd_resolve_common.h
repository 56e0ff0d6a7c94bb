// What `qcfg compile`, `explain` and `diff` share: loading the quantize config of FILE and the
// model inventory (--model DIR | --inventory INV.json), then resolving.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/source.h"
#include "resolver/inventory.h"
#include "resolver/resolve.h"
#include "schema/entry.h"
#include "tools/qcfg/cli.h"

namespace qcfg::cli {

// Value options every resolving command accepts.
inline const std::set<std::string> kResolveValueOptions = {
    "--model", "--inventory", "--recipe-root", "--initial", "--expert-layout"};
// The flag every command that loads FILE through the recipe loader accepts (as check does).
inline const std::string kAllowOutsideRoot = "--allow-outside-root";

// The inventory named by --model or --inventory (exactly one). Prints the error and returns
// nullopt when it cannot be read; throws UsageError when neither or both are given.
std::optional<resolver::Inventory> load_model_inventory(const Args& args);

// --expert-layout auto|fused|per-expert (default auto): how MoE experts are named
// (checkpoint/expert_layout.h). Throws UsageError for another value.
checkpoint::ExpertLayout expert_layout_option(const Args& args);

// `FILE[:LINE:COL]: error: MESSAGE [inventory]` on stderr, as every other diagnostic.
void print_inventory_error(const resolver::InventoryError& e);

// FILE's QuantizeConfig (a recipe's `quantize` section), with --recipe-root and
// --allow-outside-root from `args`. Diagnostics are printed.
std::optional<QuantizeConfig> load_config_for_resolve(const std::string& path, const Args& args,
                                                      SourceManager& sources);

resolver::ResolveOptions resolve_options(const Args& args);

}  // namespace qcfg::cli
