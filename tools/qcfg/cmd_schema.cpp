// `qcfg schema`: prints the JSON Schema (draft-07) of recipe-tree files or quant_cfg.
#include <fmt/format.h>

#include "migrations/json_schema.h"
#include "tools/qcfg/cli.h"

namespace qcfg::cli {
namespace {

std::vector<std::string> kind_names() {
  std::vector<std::string> names;
  for (const auto& d : migrations::schema_documents()) names.emplace_back(d.name);
  return names;
}

int run_schema(const std::vector<std::string>& argv) {
  Args args(argv, {"--kind"}, {});
  if (!args.positionals().empty()) throw UsageError{"qcfg schema takes no FILE"};
  const std::string name = args.choice("--kind", kind_names(), "recipe");
  fmt::print("{}", migrations::json_schema_text(*migrations::schema_kind_from_name(name)));
  return kExitOk;
}

const char* kSchemaUsage =
    R"(usage: qcfg schema [--kind recipe|quant_cfg|quantize_config|entry|attributes]

Prints a JSON Schema (draft-07) for editors (yaml-language-server) and CI:
  recipe           any file of a ModelOpt recipe tree: PTQ / auto_quantize / speculative recipes,
                   distillation (DMDConfig), QuantizeConfig presets, entry lists and snippets
                   (default)
  quant_cfg        a quant_cfg value: the entry list, or a legacy form
  quantize_config  a QuantizeConfig mapping (quant_cfg, algorithm, effective_bits)
  entry            one quant_cfg entry
  attributes       a QuantizerAttributeConfig (numeric-format snippets)
The same documents are shipped in schema/*.schema.json (see docs/schema.md).

Exit status: 0 ok, 2 usage error.
)";

QCFG_REGISTER_COMMAND(Command{"schema", "print the JSON Schema of recipes and quant_cfg",
                              kSchemaUsage, run_schema});

}  // namespace
}  // namespace qcfg::cli
