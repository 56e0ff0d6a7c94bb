// `qcfg diff`: the per-quantizer difference between the plans of two configs on one model,
// grouped by name shape.
#include <fmt/format.h>

#include <map>

#include "compiler/json_writer.h"
#include "resolver/names.h"
#include "resolver/plan.h"
#include "tools/qcfg/cmd_resolve_common.h"
#include "tools/qcfg/output.h"

namespace qcfg::cli {
namespace {

// Attribute names whose values differ (top level of TQs; "structure" when SQ vs TQ differs).
std::string changed_attributes(const resolver::QuantizerNode& a, const resolver::QuantizerNode& b) {
  if (a.sequential || b.sequential) return "";
  std::string out;
  for (const MapEntry& e : a.attributes->entries()) {
    const Value* other = b.attributes->find(e.key.as_string());
    if (other && python_equal(e.value, *other)) continue;
    out += (out.empty() ? "" : ", ") + e.key.as_string() + ": " + e.value.repr() + " -> " +
           (other ? other->repr() : "?");
  }
  return out;
}

// Two disabled TQs count as the same unless asked: their dormant attributes do not act.
bool same_state(const resolver::QuantizerNode& a, const resolver::QuantizerNode& b,
                bool dormant_too) {
  if (!dormant_too && !a.sequential && !b.sequential && !a.enabled() && !b.enabled()) return true;
  return python_equal(resolver::node_enabled_value(a), resolver::node_enabled_value(b)) &&
         python_equal(resolver::node_attributes_value(a), resolver::node_attributes_value(b));
}

struct Change {
  size_t count = 0;
  uint64_t bytes = 0;
  std::string example;
};

std::optional<resolver::Resolution> resolve_file(const std::string& path, const Args& args,
                                                 const resolver::Inventory& inv,
                                                 SourceManager& sources,
                                                 std::vector<QuantizerEntry>& keep) {
  std::optional<QuantizeConfig> qc = load_config_for_resolve(path, args, sources);
  if (!qc) return std::nullopt;
  keep = std::move(qc->quant_cfg);
  resolver::Resolution r = resolver::resolve(inv, keep, resolve_options(args));
  print_diagnostics(r.diagnostics);
  if (!r.ok()) return std::nullopt;
  return r;
}

int run_diff(const std::vector<std::string>& argv) {
  std::set<std::string> value_options = kResolveValueOptions;
  value_options.insert("--format");
  Args args(argv, value_options, {"--include-disabled", kAllowOutsideRoot});
  if (args.positionals().size() != 2) throw UsageError{"expected two files A and B"};
  const std::string format = args.choice("--format", {"text", "json"}, "text");
  std::optional<resolver::Inventory> inv = load_model_inventory(args);
  if (!inv) return kExitInvalid;
  SourceManager sources;
  std::vector<QuantizerEntry> ea, eb;
  auto a = resolve_file(args.positionals()[0], args, *inv, sources, ea);
  auto b = resolve_file(args.positionals()[1], args, *inv, sources, eb);
  if (!a || !b) return kExitUsage;  // GNU diff: 2 is trouble
  std::map<std::tuple<std::string, std::string, std::string, std::string>, Change> changes;
  for (size_t i = 0; i < inv->quantizers.size(); ++i) {
    const auto& na = a->quantizers[i].node;
    const auto& nb = b->quantizers[i].node;
    if (same_state(na, nb, args.flag("--include-disabled"))) continue;
    const resolver::InventoryQuantizer& q = inv->quantizers[i];
    Change& c = changes[{resolver::name_shape(q.name), resolver::node_format_label(na),
                         resolver::node_format_label(nb), changed_attributes(na, nb)}];
    if (c.count++ == 0) c.example = q.name;
    for (const auto& t : q.tensors) c.bytes += t.nbytes;
  }
  if (format == "json") {
    Value list = Value::list();
    for (const auto& [key, c] : changes) {
      Value v = Value::map();
      v.set("shape", Value::string(std::get<0>(key)));
      v.set("a", Value::string(std::get<1>(key)));
      v.set("b", Value::string(std::get<2>(key)));
      v.set("changed_attributes", Value::string(std::get<3>(key)));
      v.set("quantizers", Value::integer(static_cast<int64_t>(c.count)));
      v.set("weight_bytes", Value::integer(static_cast<int64_t>(c.bytes)));
      v.set("example", Value::string(c.example));
      list.push_back(std::move(v));
    }
    fmt::print("{}\n", to_json(list));
  } else {
    fmt::print("--- {}\n+++ {}\n", args.positionals()[0], args.positionals()[1]);
    for (const auto& [key, c] : changes) {
      const auto& [shape, la, lb, attrs] = key;
      fmt::print("{:>7} x {}: {} -> {}", c.count, shape, la, lb);
      if (la == lb && !attrs.empty()) fmt::print("  ({})", attrs);
      if (c.bytes) fmt::print("  [{}]", resolver::human_bytes(c.bytes));
      fmt::print("\n");
    }
  }
  return changes.empty() ? kExitOk : kExitInvalid;
}

const char* kUsage =
    R"(usage: qcfg diff A B (--model DIR | --inventory INV.json) [--format text|json]
                    [--include-disabled] [--initial modelopt|defaults] [--recipe-root DIR]
                    [--expert-layout auto|fused|per-expert]
                    [--allow-outside-root]

Resolves both configs on the same model and lists every quantizer whose final state differs,
grouped by name shape (layer and expert numbers abstracted) and by the change (format A -> format
B, or the attributes that differ when the format label is the same), with weight bytes affected. Quantizers disabled in both plans are equal unless
--include-disabled is given (their dormant attributes matter only if re-enabled).

  --allow-outside-root let imports resolve outside the working directory and the recipe root
                       (refused by default: docs/reliability.md)

Exit status (GNU diff): 0 same plans, 1 plans differ, 2 trouble (invalid input, usage).
)";

QCFG_REGISTER_COMMAND(Command{"diff", "compare the plans of two configs on one model", kUsage,
                              run_diff});

}  // namespace
}  // namespace qcfg::cli
