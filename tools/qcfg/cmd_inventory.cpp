// `qcfg inventory`: the quantizers ModelOpt would insert into a model, from its checkpoint
// headers (or an inventory file), as JSON or as a grouped text table.
#include <fmt/format.h>

#include <map>

#include "compiler/json_writer.h"
#include "resolver/inventory.h"
#include "resolver/names.h"
#include "resolver/plan.h"
#include "tools/qcfg/cli.h"
#include "tools/qcfg/cmd_resolve_common.h"

namespace qcfg::cli {
namespace {

struct Group {
  size_t count = 0;
  uint64_t bytes = 0;
  std::string dtype;
  size_t first = 0;  // position of the first member, to keep model order
};

std::string text_table(const resolver::Inventory& inv) {
  std::map<std::string, Group> groups;
  uint64_t total = 0;
  for (size_t i = 0; i < inv.quantizers.size(); ++i) {
    const resolver::InventoryQuantizer& q = inv.quantizers[i];
    const std::string key =
        resolver::name_shape(q.name) + "  (" + q.parent_class.value_or("-") + ")";
    auto [it, fresh] = groups.try_emplace(key);
    Group& g = it->second;
    if (fresh) g.first = i;
    g.count++;
    for (const resolver::TensorInfo& t : q.tensors) {
      g.bytes += t.nbytes;
      g.dtype = t.dtype;
      total += t.nbytes;
    }
  }
  std::vector<std::pair<std::string, Group>> rows(groups.begin(), groups.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& a, const auto& b) { return a.second.first < b.second.first; });
  std::string out = fmt::format("{}: {} quantizers, {} of weights\n", inv.origin,
                                inv.quantizers.size(), resolver::human_bytes(total));
  for (const auto& [key, g] : rows) {
    out += fmt::format("  {:>7} x {}", g.count, key);
    if (g.bytes) out += fmt::format("  {} {}", g.dtype, resolver::human_bytes(g.bytes));
    out += '\n';
  }
  return out;
}

int run_inventory(const std::vector<std::string>& argv) {
  Args args(argv, {"--format", "--expert-layout"}, {});
  if (args.positionals().size() != 1) throw UsageError{"expected exactly one MODEL"};
  const std::string format = args.choice("--format", {"json", "text"}, "json");
  resolver::Inventory inv;
  try {
    inv = resolver::load_inventory(args.positionals()[0], expert_layout_option(args));
  } catch (const resolver::InventoryError& e) {
    print_inventory_error(e);
    return kExitInvalid;
  }
  if (format == "json") {
    fmt::print("{}\n", to_json(resolver::inventory_to_value(inv)));
  } else {
    fmt::print("{}", text_table(inv));
  }
  return kExitOk;
}

const char* kUsage =
    R"(usage: qcfg inventory MODEL [--format json|text] [--expert-layout auto|fused|per-expert]

Lists the quantizers ModelOpt inserts into MODEL: a Hugging Face checkpoint directory
(model.safetensors, or model.safetensors.index.json and its shards, plus config.json), a single
.safetensors file, or a JSON inventory. Only the 8-byte length and JSON header of each
safetensors file are read; headers are validated (length, JSON, dtype x shape = byte size,
offsets in range and not overlapping).

How tensor names become quantizers:
  2-D X.weight            nn.Linear: X.weight_quantizer, X.input_quantizer, X.output_quantizer
  embeddings              nn.Embedding (embed_tokens, wte, ... or rows == config vocab_size)
  3/4/5-D X.weight        nn.Conv1d/2d/3d
  1-D norm with bias      nn.LayerNorm (input/output quantizers); weight-only norms are RMSNorm,
                          which ModelOpt does not convert: no quantizers
  running stats           nn.BatchNorm1d/2d
  X.weight0..N            one te.pytorch.GroupedLinear weight_quantizer reading all of them
  *.experts.<p> [E, ...]  fused experts: <p>_input_quantizer (hf.<Arch>Experts) and
                          <p>_weight_quantizers.0..E-1 (ModuleList: parent null)
  attention modules       q/k/v_bmm_quantizer under hf.<Arch>Attention (needs config.json)
  experts.E.<proj>.weight with the fused layout (transformers >= 5 MoE, below): as transformers
                          fuses them, experts.gate_up_proj_* (gate and up of expert E: one
                          weight quantizer) and experts.down_proj_*; a router it replaces
                          (mlp.gate of Qwen2/3-MoE, Mixtral, DeepSeek-V3) gets no quantizers

  --expert-layout L    auto (default): fused when config.json's transformers_version is >= 5
                       and its model_type is one transformers 5 fuses; fused or per-expert force
                       one (per-expert: one nn.Linear per expert, as transformers 4 loads it)

  --format json|text   json: the inventory format `qcfg compile --inventory` reads, with each
                       weight's tensor names, dtype, shape and bytes; text: grouped by name shape

Exit status: 0 ok, 1 unreadable or malformed model, 2 usage error.
)";

QCFG_REGISTER_COMMAND(Command{"inventory", "list a model's quantizers from checkpoint headers",
                              kUsage, run_inventory});

}  // namespace
}  // namespace qcfg::cli
