// `qcfg normalize`, `qcfg load-recipe` and `qcfg check`: the compiler front half on the CLI.
#include <fmt/format.h>

#include "compiler/json_writer.h"
#include "driver/pipeline.h"
#include "tools/qcfg/cli.h"
#include "tools/qcfg/output.h"
#include "tools/qcfg/yaml_writer.h"

namespace qcfg::cli {
namespace {

LoadOptions load_options(const Args& args, ReadMode mode) {
  LoadOptions o;
  o.mode = mode;
  o.recipe_root = args.value_or("--recipe-root", "");
  o.allow_outside_root = args.flag("--allow-outside-root");
  return o;
}

int print_loaded(const std::string& path, const Args& args, ReadMode mode) {
  const std::string format = args.choice("--format", {"json", "yaml"}, "json");
  SourceManager sources;
  Diagnostics diags;
  std::optional<LoadedFile> file = load_file(path, load_options(args, mode), sources, diags);
  print_diagnostics(diags);
  if (!file) return kExitInvalid;
  const Value rendered = render_loaded_file(*file);
  if (format == "json") {
    fmt::print("{}\n", to_json(rendered));
  } else {
    fmt::print("{}", to_yaml(rendered));
  }
  return kExitOk;
}

std::string one_file(const Args& args) {
  if (args.positionals().size() != 1) throw UsageError{"expected exactly one FILE"};
  return args.positionals()[0];
}

int run_normalize(const std::vector<std::string>& argv) {
  Args args(argv, {"--format", "--recipe-root", "--mode"}, {"--allow-outside-root"});
  const std::string mode = args.choice("--mode", {"config", "recipe-tree", "auto"}, "config");
  const ReadMode m = mode == "config"        ? ReadMode::Config
                     : mode == "recipe-tree" ? ReadMode::RecipeTree
                                             : ReadMode::Auto;
  return print_loaded(one_file(args), args, m);
}

int run_load_recipe(const std::vector<std::string>& argv) {
  Args args(argv, {"--format", "--recipe-root"}, {"--allow-outside-root"});
  return print_loaded(one_file(args), args, ReadMode::RecipeTree);
}

int run_check(const std::vector<std::string>& argv) {
  Args args(argv, {"--recipe-root"}, {"--quiet", "--allow-outside-root"});
  if (args.positionals().empty()) throw UsageError{"expected at least one FILE"};
  int status = kExitOk;
  size_t failed = 0;
  for (const std::string& path : args.positionals()) {
    SourceManager sources;
    Diagnostics diags;
    std::optional<LoadedFile> file =
        load_file(path, load_options(args, ReadMode::Auto), sources, diags);
    print_diagnostics(diags);
    if (!file || diags.has_errors()) {
      status = kExitInvalid;
      ++failed;
    }
  }
  if (!args.flag("--quiet")) {
    fmt::print(stderr, "checked {} file(s): {} ok, {} invalid\n", args.positionals().size(),
               args.positionals().size() - failed, failed);
  }
  return status;
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

const char* kCheckUsage =
    R"(usage: qcfg check FILE... [--recipe-root DIR] [--quiet] [--allow-outside-root]

Validates each FILE exactly as ModelOpt would and prints every problem as
`file:line:col: error: message [rule-id]` with the source line and a caret. Files with a
`# modelopt-schema:` header are checked as snippets of a recipe tree, files with `metadata` as
recipes, files under general/distillation/ as ModelOpt's distillation tooling reads them,
anything else as a quant_cfg (list, legacy dict or QuantizeConfig).

  --recipe-root DIR    ModelOpt's recipe root for imports (default: the nearest ancestor
                       directory of FILE named modelopt_recipes)
  --quiet              no summary line
  --allow-outside-root let imports resolve outside the working directory and the recipe root
                       (refused by default: docs/reliability.md)

Exit status: 0 all valid, 1 some file invalid, 2 usage or internal error.
)";

QCFG_REGISTER_COMMAND(Command{"normalize", "print the canonical (normalized, validated) form",
                              kNormalizeUsage, run_normalize});
QCFG_REGISTER_COMMAND(Command{"load-recipe", "load a recipe-tree file as ModelOpt's loader does",
                              kLoadRecipeUsage, run_load_recipe});
QCFG_REGISTER_COMMAND(Command{"check", "validate files; located diagnostics", kCheckUsage,
                              run_check});

}  // namespace
}  // namespace qcfg::cli
