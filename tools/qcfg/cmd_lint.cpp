// `qcfg lint`: run the lint rules over files and directories; text, JSON or SARIF output;
// `--fix` rewrites files in place (atomically), `--diff` shows what it would change.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include "compiler/unified_diff.h"
#include "lint/emit.h"
#include "lint/fix.h"
#include "lint/linter.h"
#include "lint/output_formats.h"
#include "lint/rules/serving_engines.h"
#include "migrations/migrate.h"
#include "tools/qcfg/cmd_resolve_common.h"
#include "tools/qcfg/output.h"

namespace qcfg::cli {
namespace {

namespace fs = std::filesystem;

bool is_config_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml" || ext == ".json";
}

bool is_directory_recipe(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) &&
         (fs::exists(dir / "metadata.yml", ec) || fs::exists(dir / "metadata.yaml", ec));
}

// Files as given; directories expand to their YAML/JSON files, sorted, except that a directory
// recipe (metadata.yml + quantize.yml) stays one unit. Directories in which nothing was found go
// to `empty`.
std::vector<std::string> expand_paths(const std::vector<std::string>& given,
                                      std::vector<std::string>* empty) {
  std::vector<std::string> out;
  for (const std::string& g : given) {
    std::error_code ec;
    if (!fs::is_directory(g, ec) || is_directory_recipe(g)) {
      out.push_back(g);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = fs::recursive_directory_iterator(g, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
      if (is_directory_recipe(it->path())) {
        found.push_back(it->path().string());
        it.disable_recursion_pending();
      } else if (it->is_regular_file() && is_config_file(it->path())) {
        found.push_back(it->path().string());
      }
    }
    if (found.empty()) empty->push_back(g);
    std::sort(found.begin(), found.end());
    out.insert(out.end(), found.begin(), found.end());
  }
  return out;
}

std::vector<std::string> split_list(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    size_t start = 0;
    while (start <= v.size()) {
      const size_t comma = v.find(',', start);
      const std::string item = v.substr(start, comma == v.npos ? v.npos : comma - start);
      if (!item.empty()) out.push_back(item);
      if (comma == v.npos) break;
      start = comma + 1;
    }
  }
  return out;
}

Severity fail_level(const Args& args) {
  const std::string level = args.choice("--fail-on", {"error", "warning", "info"}, "error");
  return level == "error"     ? Severity::Error
         : level == "warning" ? Severity::Warning
                              : Severity::Info;
}

// Severity enumerators are ordered Error < Warning < Info.
bool any_at_or_above(const std::vector<lint::FileResult>& results, Severity level) {
  for (const lint::FileResult& r : results)
    for (const lint::Finding& f : r.findings)
      if (f.diag.severity <= level) return true;
  return false;
}

// Findings point into the linter's sources: it must outlive them.
std::vector<lint::FileResult> lint_all(lint::Linter& linter,
                                       const std::vector<std::string>& files) {
  std::vector<lint::FileResult> results;
  for (const std::string& f : files) results.push_back(linter.lint_file(f));
  return results;
}

std::vector<lint::Finding> all_findings(const std::vector<lint::FileResult>& results) {
  std::vector<lint::Finding> out;
  for (const lint::FileResult& r : results)
    out.insert(out.end(), r.findings.begin(), r.findings.end());
  return out;
}

int print_diff(const std::vector<lint::FileResult>& results) {
  std::string diff;
  for (const auto& [file, fixed] : lint::apply_fixes(all_findings(results)))
    diff += unified_diff(file->text, fixed.text, file->path);
  fmt::print("{}", diff);
  return diff.empty() ? kExitOk : kExitInvalid;
}

// Writes every fixed file; false (after printing why) when one could not be written.
bool write_fixes(const std::vector<lint::FileResult>& results) {
  bool ok = true;
  for (const auto& [file, fixed] : lint::apply_fixes(all_findings(results))) {
    if (fixed.text == file->text) continue;
    std::string error;
    if (!write_file_atomically(file->path, fixed.text, &error)) {
      fmt::print(stderr, "{}: error: cannot write the fixes: {} (file left unchanged)\n",
                 file->path, error);
      ok = false;
      continue;
    }
    fmt::print(stderr, "{}: applied {} fix(es)\n", file->path, fixed.applied);
  }
  return ok;
}

// The legacy-format fix: the migrator's rewrite of the whole file, offered only when it keeps
// the meaning (the migrator normalizes both texts and warns where they differ).
lint::MigrateFix migration_fix(const LoadOptions& load) {
  return [load](const SourceFile& file) -> std::optional<lint::Fix> {
    SourceManager scratch;
    migrations::MigrateOptions options;
    options.recipe_root = load.recipe_root;
    options.allow_outside_root = load.allow_outside_root;
    try {
      const migrations::MigrateResult r =
          migrations::migrate_text(file.path, file.text, scratch, options);
      if (!r.changed() || !r.warnings.empty()) return std::nullopt;
      lint::Fix fix{"migrate the legacy quant_cfg to the list form (as `qcfg migrate`)", {}};
      for (const migrations::TextEdit& e : r.edits)
        fix.edits.push_back({&file, e.begin, e.end, e.replacement});
      return fix;
    } catch (const CompileError&) {
      return std::nullopt;
    }
  };
}

int emit_report(const std::string& text, const Args& args) {
  const auto out = args.path_value("-o");
  if (!out) {
    fmt::print("{}", text);
    return kExitOk;
  }
  std::string error;
  if (write_file_atomically(*out, text, &error)) return kExitOk;
  fmt::print(stderr, "{}: error: {}\n", *out, error);
  return kExitUsage;
}

std::string render(const std::string& format, const std::vector<lint::FileResult>& results,
                   const lint::Linter& linter) {
  return lint::find_output_format(format)->render(results, linter.selected_rules(), ".");
}

int explain(const std::string& id) {
  const lint::Rule* rule = lint::find_rule(id);
  if (!rule) throw UsageError{"no lint rule '" + id + "' (see --list-rules)"};
  fmt::print("{}", lint::render_rule_page(rule->info()));
  return kExitOk;
}

int run_lint(const std::vector<std::string>& argv) {
  std::set<std::string> value_options = kResolveValueOptions;
  value_options.insert(
      {"--target", "--format", "--select", "--ignore", "--fail-on", "--explain", "-o"});
  Args args(argv, value_options, {"--fix", "--diff", "--list-rules", "--allow-outside-root"});
  if (args.flag("--list-rules")) {
    fmt::print("{}", lint::render_rule_list(lint::all_rules()));
    return kExitOk;
  }
  if (auto id = args.value("--explain")) return explain(*id);
  if (args.positionals().empty()) throw UsageError{"expected at least one FILE or DIRECTORY"};
  if (args.flag("--fix") && args.flag("--diff"))
    throw UsageError{"--fix and --diff exclude each other"};
  const std::string format = args.choice("--format", lint::output_format_names(), "text");
  const Severity level = fail_level(args);

  lint::LintOptions options;
  options.load.recipe_root = args.value_or("--recipe-root", "");
  options.load.allow_outside_root = args.flag("--allow-outside-root");
  options.select = split_list(args.values("--select"));
  options.ignore = split_list(args.values("--ignore"));
  options.migrate_fix = migration_fix(options.load);
  std::optional<resolver::Inventory> inventory;
  if (args.value("--model") || args.value("--inventory")) {
    inventory = load_model_inventory(args);
    if (!inventory) return kExitUsage;
    options.inventory = &*inventory;
    options.resolve = resolve_options(args);
  }
  options.targets = split_list(args.values("--target"));
  for (const std::string& t : options.targets)
    if (!lint::find_serving_engine(t))
      throw UsageError{"--target " + t + ": unknown serving engine (" + lint::serving_engine_ids() +
                       ")"};
  if (!options.targets.empty() && !options.inventory)
    throw UsageError{"--target needs --model or --inventory (the engine rules read the model)"};
  std::vector<std::string> empty_dirs;
  const std::vector<std::string> files = expand_paths(args.positionals(), &empty_dirs);
  // Never a silent success on nothing linted: such a directory is most likely the wrong one.
  for (const std::string& dir : empty_dirs) {
    fmt::print(stderr,
               "{}: error: no .yaml, .yml or .json file or directory recipe in this directory; "
               "nothing to lint\n",
               dir);
  }
  if (!empty_dirs.empty()) return kExitUsage;
  std::unique_ptr<lint::Linter> linter;
  try {
    linter = std::make_unique<lint::Linter>(options);
  } catch (const std::invalid_argument& e) {
    throw UsageError{e.what()};
  }
  std::vector<lint::FileResult> results = lint_all(*linter, files);
  if (args.flag("--diff")) return print_diff(results);
  if (args.flag("--fix")) {
    if (!write_fixes(results)) return kExitUsage;
    linter = std::make_unique<lint::Linter>(options);  // fresh sources: the fixed texts
    results = lint_all(*linter, files);
  }
  const int rc = emit_report(render(format, results, *linter), args);
  if (rc != kExitOk) return rc;
  return any_at_or_above(results, level) ? kExitInvalid : kExitOk;
}

const char* kUsage =
    R"(usage: qcfg lint FILE|DIR... [--format text|json|sarif] [-o FILE] [--fail-on error|warning|info]
                 [--select IDS] [--ignore IDS] [--fix | --diff]
                 [--model DIR | --inventory INV.json] [--target vllm|trtllm|sglang]...
                 [--recipe-root DIR] [--allow-outside-root]
       qcfg lint --list-rules
       qcfg lint --explain ID

Finds what ModelOpt silently accepts but does not do what it says: legacy `default` keys that
disable everything, `enable` inside `cfg`, entries overridden by later ones, rotation that cannot
apply, KV-cache presets without a deny-all base... (`--list-rules`; docs/rules/ has a page per
rule). Directories are searched for .yaml, .yml and .json files (and directory recipes); a
directory without any is an error (exit 2).

  --format FMT       text (default): file:line:col: severity: message [ID], source line, caret;
                     json: findings with rule, location, message and fix;
                     sarif: SARIF 2.1.0 for GitHub code scanning
  -o FILE            write the report there (atomically) instead of stdout
  --fail-on LEVEL    exit 1 when a finding is at or above LEVEL (default: error)
  --select IDS       run only these rules (ids, names or id prefixes; comma-separated, repeatable)
  --ignore IDS       skip these rules
  --fix              apply the safe fixes in place, then report what is left
  --diff             print the fixes as a unified diff, change nothing; exit 1 when non-empty
  --model DIR        also check the config against a checkpoint's quantizers (safetensors headers)
  --inventory INV    ... or against a quantizer inventory in JSON (see `qcfg inventory`)
  --target ENGINE    with --model: check that vllm, trtllm or sglang loads the exported
                     checkpoint (repeatable or comma-separated; rules QC028, QC029)
  --initial MODE     initial quantizer states for model rules: modelopt (default) or defaults
  --expert-layout L  with --model: how MoE experts are named (auto, fused, per-expert; see
                     `qcfg inventory --help`)
  --recipe-root DIR  ModelOpt's modelopt_recipes root for imports (default: nearest ancestor)
  --allow-outside-root let imports resolve outside the working directory and the recipe root
                     (refused by default: docs/reliability.md)
  --list-rules       list every rule with id, severity and summary
  --explain ID       print the documentation of one rule

Suppress a finding with a comment `# qcfg: ignore[ID]` (or the rule name; several separated by
commas) on its line or on the line before the entry.

Exit status: 0 clean (or nothing at or above --fail-on), 1 findings at or above --fail-on (with
--diff: the diff is not empty), 2 usage error, a directory with nothing to lint, unwritable
file, or internal error.
)";

QCFG_REGISTER_COMMAND(Command{"lint", "find configs that do not do what they say", kUsage,
                              run_lint});

}  // namespace
}  // namespace qcfg::cli
