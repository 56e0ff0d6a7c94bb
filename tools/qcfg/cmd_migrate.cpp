// `qcfg migrate`: rewrites legacy quant_cfg forms into the canonical list form (migrations/).
#include <fmt/format.h>

#include "compiler/document/reader.h"
#include "compiler/input_file.h"
#include "compiler/source.h"
#include "migrations/migrate.h"
#include "compiler/unified_diff.h"
#include "tools/qcfg/cli.h"
#include "tools/qcfg/output.h"

namespace qcfg::cli {
namespace {

enum class Mode { Print, InPlace, Check, Diff };

Mode mode_of(const Args& args) {
  const int chosen = args.flag("--in-place") + args.flag("--check") + args.flag("--diff");
  if (chosen > 1) throw UsageError{"--in-place, --check and --diff exclude each other"};
  if (args.flag("--in-place")) return Mode::InPlace;
  if (args.flag("--check")) return Mode::Check;
  if (args.flag("--diff")) return Mode::Diff;
  return Mode::Print;
}

struct FileOutcome {
  bool failed = false;   // unreadable, unparsable or not written
  bool changed = false;  // the migration changes the file
};

void print_warnings(const std::vector<Diagnostic>& warnings) {
  Diagnostics diags;
  for (const Diagnostic& w : warnings) diags.add(w);
  print_diagnostics(diags);
}

FileOutcome migrate_one(const std::string& path, Mode mode,
                        const migrations::MigrateOptions& options) {
  SourceManager disk;
  const SourceFile* file = nullptr;
  try {
    file = read_input_file(disk, path, ReadLimits{}.max_bytes, kConfigSizeAdvice);
  } catch (const CompileError& e) {
    for (const Diagnostic& d : e.diagnostics()) fmt::print(stderr, "{}", render_text(d));
    return {true, false};
  }
  SourceManager sources;
  migrations::MigrateResult result;
  try {
    result = migrations::migrate_text(path, file->text, sources, options);
  } catch (const CompileError& e) {
    print_diagnostics(Diagnostics());
    for (const Diagnostic& d : e.diagnostics()) fmt::print(stderr, "{}", render_text(d));
    return {true, false};
  }
  print_warnings(result.warnings);
  const bool changed = result.new_text != file->text;
  switch (mode) {
    case Mode::Print:
      fmt::print("{}", result.new_text);
      break;
    case Mode::Diff:
      fmt::print("{}", unified_diff(file->text, result.new_text, path));
      break;
    case Mode::Check:
      if (changed)
        fmt::print(stderr, "{}: would be migrated ({} edits)\n", path, result.edits.size());
      break;
    case Mode::InPlace:
      if (std::string error; changed && !write_file_atomically(path, result.new_text, &error)) {
        fmt::print(stderr, "{}: error: not migrated: {} [file-write]\n", path, error);
        return {true, true};
      }
      if (changed) fmt::print(stderr, "{}: migrated ({} edits)\n", path, result.edits.size());
      break;
  }
  return {false, changed};
}

int run_migrate(const std::vector<std::string>& argv) {
  Args args(argv, {"--recipe-root"},
            {"--in-place", "--check", "--diff", "--no-verify", "--allow-outside-root"});
  if (args.positionals().empty()) throw UsageError{"expected at least one FILE"};
  const Mode mode = mode_of(args);
  if (mode == Mode::Print && args.positionals().size() > 1) {
    throw UsageError{
        "printing the migrated text takes one FILE; use --in-place, --check or --diff"};
  }
  migrations::MigrateOptions options;
  options.recipe_root = args.value_or("--recipe-root", "");
  options.verify = !args.flag("--no-verify");
  options.allow_outside_root = args.flag("--allow-outside-root");
  bool failed = false, changed = false;
  for (const std::string& path : args.positionals()) {
    const FileOutcome o = migrate_one(path, mode, options);
    failed |= o.failed;
    changed |= o.changed;
  }
  if (failed) return kExitInvalid;
  return (mode == Mode::Check || mode == Mode::Diff) && changed ? kExitInvalid : kExitOk;
}

const char* kMigrateUsage =
    R"(usage: qcfg migrate FILE... [--in-place | --check | --diff] [--recipe-root DIR] [--no-verify]
                    [--allow-outside-root]

Rewrites legacy quant_cfg forms into ModelOpt's canonical list of entries (quantizer_name,
parent_class, enable, cfg): the flat dict, lists of one-key dicts, `nn.*`-scoped dicts and the
`default` key, in YAML or JSON, inside recipes or bare; also `ptq_cfg` -> `quantize` and
`quantizer_path` -> `quantizer_name`. Comments, key order and formatting outside the rewritten
nodes are kept byte for byte. Each result is normalized and compared with the original; a
warning (file:line:col) says where the meaning differs or could not be checked.

  (no flag)        print the migrated text of FILE on stdout
  --in-place       rewrite each FILE (atomically: the original stays intact on failure)
  --check          change nothing; exit 1 if some FILE would change (pre-commit)
  --diff           print a unified diff; exit 1 if there is one
  --recipe-root DIR  ModelOpt's recipe root for imports (default: the nearest ancestor
                   directory named modelopt_recipes)
  --no-verify      skip the normalize-and-compare check
  --allow-outside-root let imports resolve outside the working directory and the recipe root
                   (refused by default: docs/reliability.md)

Exit status: 0 ok (nothing to change, or changes written/printed), 1 a file would change
(--check, --diff) or could not be read, parsed or written, 2 usage error.
)";

QCFG_REGISTER_COMMAND(Command{"migrate", "rewrite legacy quant_cfg forms into the list form",
                              kMigrateUsage, run_migrate});

}  // namespace
}  // namespace qcfg::cli
