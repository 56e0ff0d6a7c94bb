#include "tools/qcfg/cmd_load_common.h"

#include <fmt/format.h>

#include "compiler/json_writer.h"
#include "tools/qcfg/output.h"
#include "tools/qcfg/yaml_writer.h"

namespace qcfg::cli {

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

}  // namespace qcfg::cli
