// `qcfg compile`: apply FILE's quant_cfg to a model's quantizers and print the plan.
#include <fmt/format.h>
#include <malloc.h>
#include <sys/mman.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "compiler/json_writer.h"
#include "resolver/plan.h"
#include "tools/qcfg/cmd_resolve_common.h"
#include "tools/qcfg/output.h"

namespace qcfg::cli {
namespace {

// Streams the output to stdout, or atomically to the -o file.
int emit(const std::function<void(std::ostream&)>& write, const Args& args) {
  const auto out = args.path_value("-o");
  if (!out) {
    std::fflush(stdout);
    write(std::cout);
    std::cout.flush();
    return kExitOk;
  }
  std::string error;
  if (!write_file_atomically(*out, write, &error)) {
    fmt::print(stderr, "{}: error: {}\n", *out, error);
    return kExitUsage;
  }
  return kExitOk;
}

// A giant model's inventory and resolution are hundreds of thousands of allocations; freeing them
// one by one as the command returns took about a tenth of compiling DeepSeek-V3. The process
// exits right after, so they are left to it (as compilers do with their ASTs); the global pointer
// keeps them reachable, so leak checkers do not report them (volatile: an optimizer may drop a
// store to an internal global that is never read, which the sanitizer build showed it does).
struct Compiled {
  SourceManager sources;  // the resolution points into the entries, the entries into these
  std::optional<QuantizeConfig> config;
  resolver::Inventory inventory;
  resolver::Resolution resolution;
};
Compiled* volatile g_left_to_exit = nullptr;

// The file text, the parser's buffers and the inventory are tens of megabytes each on a giant
// model; malloc would map each anew (and the kernel zero its pages) and unmap it when freed. Kept
// in the heap instead, freed memory is reused: about a tenth of compiling DeepSeek-V3 was the
// kernel faulting in fresh pages.
//
// The heap is then grown once and that range marked for transparent huge pages (where the
// kernel gives them on request, `madvise` mode, as Debian's default): faulting in ~100 MB page by
// page was a third of the CPU time of compiling DeepSeek-V3, most of it per-fault overhead. The
// range is only reserved: pages are allocated, 2 MiB at a time, as the heap reaches them.
void keep_freed_memory_for_reuse() {
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, -1);
  mallopt(M_TOP_PAD, 64 << 20);
  constexpr size_t kReserve = size_t{512} << 20, kHuge = size_t{2} << 20;
  void* block = std::malloc(kReserve);  // from the heap top: below M_MMAP_THRESHOLD
  if (block == nullptr) return;
  const auto start = (reinterpret_cast<uintptr_t>(block) + kHuge - 1) & ~(kHuge - 1);
  const auto end = (reinterpret_cast<uintptr_t>(block) + kReserve) & ~(kHuge - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
  std::free(block);  // kept in the heap (no trim), reused by what follows
}

int run_compile(const std::vector<std::string>& argv) {
  std::set<std::string> value_options = kResolveValueOptions;
  value_options.insert({"--format", "-o", "--plan-version"});
  Args args(argv, value_options, {"--no-provenance", kAllowOutsideRoot});
  if (args.positionals().size() != 1) throw UsageError{"expected exactly one FILE"};
  const std::string format = args.choice("--format", {"json", "text"}, "json");
  resolver::PlanOptions po;
  po.provenance = !args.flag("--no-provenance");
  po.version = args.choice("--plan-version", {"1", "2"}, "2") == "1" ? 1 : 2;
  keep_freed_memory_for_reuse();
  std::optional<resolver::Inventory> inv = load_model_inventory(args);
  if (!inv) return kExitInvalid;
  g_left_to_exit = new Compiled;
  Compiled& c = *g_left_to_exit;
  c.inventory = std::move(*inv);
  c.config = load_config_for_resolve(args.positionals()[0], args, c.sources);
  if (!c.config) return kExitInvalid;
  resolver::Resolution& r = c.resolution;
  r = resolver::resolve(c.inventory, c.config->quant_cfg, resolve_options(args));
  print_diagnostics(r.diagnostics);
  if (!r.ok()) return kExitInvalid;
  if (format == "text") {
    return emit([&](std::ostream& os) { os << resolver::plan_summary_text(r); }, args);
  }
  return emit(
      [&](std::ostream& os) {
        resolver::write_plan_json(r, os, po);
        os << '\n';
      },
      args);
}

const char* kUsage =
    R"(usage: qcfg compile FILE (--model DIR | --inventory INV.json) [--format json|text] [-o plan.json]
                    [--plan-version 2|1] [--initial modelopt|defaults] [--recipe-root DIR]
                    [--no-provenance]
                    [--expert-layout auto|fused|per-expert] [--allow-outside-root]

Applies the quant_cfg of FILE (a recipe's `quantize` section) to every quantizer of the model, in
list order, exactly as ModelOpt's set_quantizer_by_cfg does, and prints the plan.

  --model DIR          Hugging Face checkpoint (model.safetensors or its index + shards, and
                       config.json); only the safetensors headers are read
  --inventory INV      quantizer inventory in JSON (see `qcfg inventory`)
  --format json|text   json: the plan (docs/plan-format.md: enabled, attributes,
                       last_cfg_entry, last_enable_entry and provenance per quantizer);
                       text: quantizers and weight bytes per resolved format
  --plan-version 2|1   2 (default): distinct attribute sets and states listed once, each
                       quantizer referring to one; 1: one full record per quantizer
  -o FILE              write there (atomically) instead of stdout
  --initial MODE       modelopt: quantizers start as QuantModule._setup makes them (default);
                       defaults: every quantizer starts at QuantizerAttributeConfig(), enabled
  --expert-layout L    how MoE experts are named (see `qcfg inventory --help`; default auto)
  --no-provenance      leave out matched/overridden entries and entry locations
  --recipe-root DIR    ModelOpt's recipe root for imports (default: the nearest ancestor
                       directory of FILE named modelopt_recipes)
  --allow-outside-root let imports resolve outside the working directory and the recipe root
                       (refused by default: docs/reliability.md)

Exit status: 0 ok, 1 invalid config or inventory, or an entry ModelOpt would fail on (unknown
parent_class), 2 usage error.
)";

QCFG_REGISTER_COMMAND(Command{"compile", "resolve a quant_cfg against a model: the plan", kUsage,
                              run_compile});

}  // namespace
}  // namespace qcfg::cli
