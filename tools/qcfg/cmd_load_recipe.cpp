// `qcfg load-recipe`: a recipe-tree file as ModelOpt's recipe loader reads it.
#include "tools/qcfg/cli.h"
#include "tools/qcfg/cmd_load_common.h"

namespace qcfg::cli {
namespace {

int run_load_recipe(const std::vector<std::string>& argv) {
  Args args(argv, {"--format", "--recipe-root"}, {"--allow-outside-root"});
  return print_loaded(one_file(args), args, ReadMode::RecipeTree);
}

const char* kLoadRecipeUsage =
    R"(usage: qcfg load-recipe FILE [--format json|yaml] [--recipe-root DIR] [--allow-outside-root]

Loads FILE as ModelOpt's recipe tooling does: recipes (metadata.recipe_type), snippets typed by
their `# modelopt-schema:` header, quantize configs, distillation configs (general/distillation/)
and untyped files; prints the import-resolved document, every quantize config, entry list or
attribute set it holds, and `model_dump`: a validated recipe or distillation config as ModelOpt
0.47's model_dump() gives it.

  --format json|yaml   output format (default json)
  --recipe-root DIR    ModelOpt's recipe root for imports (default: the nearest ancestor
                       directory of FILE named modelopt_recipes)
  --allow-outside-root let imports resolve outside the working directory and the recipe root
                       (refused by default: docs/reliability.md)

Exit status: 0 ok, 1 invalid input, 2 usage or internal error.
)";

QCFG_REGISTER_COMMAND(Command{"load-recipe", "load a recipe-tree file as ModelOpt's loader does",
                              kLoadRecipeUsage, run_load_recipe});

}  // namespace
}  // namespace qcfg::cli
