// `qcfg check`: validate files as ModelOpt would; located diagnostics.
#include <fmt/format.h>

#include "tools/qcfg/cli.h"
#include "tools/qcfg/cmd_load_common.h"
#include "tools/qcfg/output.h"

namespace qcfg::cli {
namespace {

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

QCFG_REGISTER_COMMAND(Command{"check", "validate files; located diagnostics", kCheckUsage,
                              run_check});

}  // namespace
}  // namespace qcfg::cli
