// `qcfg normalize`: a file's canonical (normalized, validated) form.
#include "tools/qcfg/cli.h"
#include "tools/qcfg/cmd_load_common.h"

namespace qcfg::cli {
namespace {

int run_normalize(const std::vector<std::string>& argv) {
  Args args(argv, {"--format", "--recipe-root", "--mode"}, {"--allow-outside-root"});
  const std::string mode = args.choice("--mode", {"config", "recipe-tree", "auto"}, "config");
  const ReadMode m = mode == "config"        ? ReadMode::Config
                     : mode == "recipe-tree" ? ReadMode::RecipeTree
                                             : ReadMode::Auto;
  return print_loaded(one_file(args), args, m);
}

const char* kNormalizeUsage =
    R"(usage: qcfg normalize FILE [--format json|yaml] [--recipe-root DIR] [--mode config|recipe-tree|auto]
                      [--allow-outside-root]

Loads FILE (YAML or JSON), resolves its imports, normalizes every legacy form to the canonical
list of entries, validates it as ModelOpt does, and prints the canonical form on stdout.

  --format json|yaml   output format (default json; the JSON shape is docs/canonical-form.md)
  --recipe-root DIR    ModelOpt's recipe root for imports (default: the nearest ancestor
                       directory of FILE named modelopt_recipes)
  --allow-outside-root let imports resolve outside the working directory and the recipe root
                       (refused by default: docs/reliability.md)
  --mode MODE          config: read FILE as a Python caller passes it to ModelOpt (default);
                       recipe-tree: as ModelOpt's recipe loader reads files of a recipe tree
                       (same as `qcfg load-recipe`); auto: as `qcfg check` does

Exit status: 0 ok, 1 invalid input (diagnostics on stderr), 2 usage or internal error.
)";

QCFG_REGISTER_COMMAND(Command{"normalize", "print the canonical (normalized, validated) form",
                              kNormalizeUsage, run_normalize});

}  // namespace
}  // namespace qcfg::cli
