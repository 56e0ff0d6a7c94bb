// `qcfg explain`: for the quantizers a pattern selects, which entries touched them, in order,
// what each one did, and where the final attributes and enable state came from.
#include <fmt/format.h>

#include <map>

#include "resolver/fnmatch.h"
#include "resolver/names.h"
#include "resolver/plan.h"
#include "tools/qcfg/cmd_resolve_common.h"
#include "tools/qcfg/output.h"

namespace qcfg::cli {
namespace {

// How many quantizers of one name shape are explained in full.
constexpr size_t kShownPerShape = 1;

std::string describe_entry(const QuantizerEntry& e) {
  std::string what =
      e.cfg_kind == CfgKind::None
          ? fmt::format("enable-only {}", e.enable ? "true" : "false")
          : fmt::format("{} cfg{}", e.cfg_kind == CfgKind::Single ? "full" : "sequential",
                        e.enable ? "" : ", enable false");
  std::string parent = e.parent_class && !e.parent_class->empty()
                           ? fmt::format(" parent_class {}", *e.parent_class)
                           : "";
  return fmt::format("'{}'{}: {}", e.quantizer_name, parent, what);
}

std::string state_text(const resolver::QuantizerNode& node) {
  const std::string label = resolver::node_format_label(node);
  return node.sequential || label == "disabled" ? label : label + ", enabled";
}

// The quantizer's state after each entry that matched it: the entries applied up to there on an
// inventory of this quantizer alone (resolution never couples two inventory quantizers).
void explain_one(const resolver::Inventory& inv, size_t index,
                 const std::vector<QuantizerEntry>& entries, const resolver::ResolveOptions& o,
                 const resolver::Resolution& r) {
  const resolver::ResolvedQuantizer& final_state = r.quantizers[index];
  const resolver::InventoryQuantizer& q = inv.quantizers[index];
  resolver::Inventory one;
  one.quantizers = {q};
  one.modules = inv.modules;
  one.registry_keys = resolver::accepted_registry_keys(inv);
  const std::vector<QuantizerEntry> none;
  fmt::print("{}  (parent {})\n", q.name, q.parent_class.value_or("none"));
  fmt::print("  initial           {}\n",
             state_text(resolver::resolve(one, none, o).quantizers[0].node));
  const std::vector<uint32_t> matched = resolver::matched_entries(r, index);
  const auto overridden = resolver::overridden_entries(final_state, matched);
  for (uint32_t k : matched) {
    std::vector<QuantizerEntry> prefix(entries.begin(), entries.begin() + k + 1);
    const resolver::Resolution step = resolver::resolve(one, prefix, o);
    const bool lost = std::find(overridden.begin(), overridden.end(), k) != overridden.end();
    fmt::print("  entry {:<3} {}  {}\n        -> {}{}\n", k, entries[k].loc.str(),
               describe_entry(entries[k]), state_text(step.quantizers[0].node),
               lost ? "   (overridden later)" : "");
  }
  const resolver::QuantizerNode& n = final_state.node;
  fmt::print("  final             {}", state_text(n));
  if (n.last_cfg_entry >= 0)
    fmt::print("; attributes from entry {} ({})", n.last_cfg_entry,
               entries[n.last_cfg_entry].loc.str());
  if (n.last_enable_entry >= 0) fmt::print("; enable from entry {}", n.last_enable_entry);
  fmt::print("\n\n");
}

int run_explain(const std::vector<std::string>& argv) {
  Args args(argv, kResolveValueOptions, {"--all", kAllowOutsideRoot});
  if (args.positionals().size() != 2) throw UsageError{"expected FILE and PATTERN"};
  std::optional<resolver::Inventory> inv = load_model_inventory(args);
  if (!inv) return kExitInvalid;
  SourceManager sources;
  std::optional<QuantizeConfig> qc = load_config_for_resolve(args.positionals()[0], args, sources);
  if (!qc) return kExitInvalid;
  const resolver::ResolveOptions options = resolve_options(args);
  const resolver::Resolution r = resolver::resolve(*inv, qc->quant_cfg, options);
  print_diagnostics(r.diagnostics);
  const resolver::GlobPattern pattern(args.positionals()[1]);
  std::map<std::string, size_t> per_shape;
  size_t selected = 0;
  for (size_t i = 0; i < inv->quantizers.size(); ++i) {
    const std::string& name = inv->quantizers[i].name;
    if (!pattern.matches(name)) continue;
    ++selected;
    size_t& seen = per_shape[resolver::name_shape(name)];
    if (args.flag("--all") || seen++ < kShownPerShape)
      explain_one(*inv, i, qc->quant_cfg, options, r);
  }
  if (selected == 0) {
    fmt::print(stderr, "no quantizer matches '{}'\n", args.positionals()[1]);
    return kExitInvalid;
  }
  for (const auto& [shape, count] : per_shape)
    if (count > kShownPerShape && !args.flag("--all"))
      fmt::print("({} more like {}; --all shows every one)\n", count - kShownPerShape, shape);
  return r.ok() ? kExitOk : kExitInvalid;
}

const char* kUsage =
    R"(usage: qcfg explain FILE (--model DIR | --inventory INV.json) PATTERN [--all]
                    [--initial modelopt|defaults] [--recipe-root DIR] [--allow-outside-root]
                    [--expert-layout auto|fused|per-expert]

For each quantizer whose name matches PATTERN (fnmatch, as in quant_cfg): its initial state,
every entry of FILE that matched it with its source location and the state right after it, which
entries a later one overrode, and where the final attributes and enable state came from.
Quantizers that differ only in layer/expert numbers are shown once unless --all is given.

  --allow-outside-root let imports resolve outside the working directory and the recipe root
                       (refused by default: docs/reliability.md)

Exit status: 0 ok, 1 invalid input or nothing matched, 2 usage error.
)";

QCFG_REGISTER_COMMAND(Command{"explain", "show which entries decide a quantizer's state", kUsage,
                              run_explain});

}  // namespace
}  // namespace qcfg::cli
