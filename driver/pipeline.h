// The front half of qcfg's one-direction pipeline, as one call: read a file, resolve its imports,
// normalize and validate every quantize config it is or contains. Commands (normalize, check,
// compile, lint, migrate checks) start here; the runtime never does (it reads plans).
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/document/reader.h"
#include "compiler/source.h"
#include "compiler/value.h"
#include "schema/entry.h"

namespace qcfg {

// How a file is classified (shared/spec/quant_cfg.md 1.2 versus 1.3).
enum class ReadMode {
  // As a Python caller passes a file's content to ModelOpt (`qcfg normalize`): a bare list, a
  // QuantizeConfig mapping, a legacy dict, or a recipe.
  Config,
  // As ModelOpt's recipe loader reads a file of a recipe tree (`qcfg load-recipe`): recipes,
  // schema-typed snippets, untyped files.
  RecipeTree,
  // What `qcfg check` and `qcfg lint` use: RecipeTree for files with a `# modelopt-schema:` header,
  // a `metadata` section (recipes without a quantize config are fine) or a place in the tree that
  // ModelOpt's distillation tooling reads (general/distillation/), Config otherwise.
  Auto,
};

struct LoadOptions {
  ReadMode mode = ReadMode::Config;
  // ModelOpt's `modelopt_recipes` root for imports; empty: the nearest ancestor directory of the
  // file named `modelopt_recipes`, if any.
  std::string recipe_root;
  std::string cwd = ".";
  ReadLimits limits;
  // Imports resolving outside `cwd` and the recipe root are an error unless this is set
  // (`--allow-outside-root`; docs/reliability.md).
  bool allow_outside_root = false;
};

// Everything a file turned out to be.
struct LoadedFile {
  std::string path;
  std::string input_kind;  // quant_cfg_list, recipe, quantize_config, quant_cfg_legacy_dict,
                           // snippet, untyped, distillation
  std::optional<std::string> recipe_type;
  std::optional<Value> document;  // import-resolved data before validation (recipe-tree files)
  // Every QuantizeConfig the file is ("$") or contains ("quantize",
  // "auto_quantize.candidate_formats[0]", ...), in discovery order.
  std::vector<std::pair<std::string, QuantizeConfig>> quantize_configs;
  std::optional<std::vector<QuantizerEntry>> entries;  // entry / entry-list snippets
  std::optional<Value> attributes;                     // attribute snippets: full dump
  // What ModelOpt's model_dump() gives for a validated recipe (nested QuantizeConfigs as
  // contract views) or distillation config.
  std::optional<Value> model_dump;
  std::string declared_schema;  // `# modelopt-schema:` text, if any
  // Keys written twice in a mapping, in this file and in every file it imports (reader.h).
  std::vector<DuplicateKey> duplicate_keys;
};

// Loads `path`. On failure returns nullopt with the errors in `diags`; warnings are added to
// `diags` in both cases.
std::optional<LoadedFile> load_file(const std::string& path, const LoadOptions& options,
                                    SourceManager& sources, Diagnostics& diags);

// The QuantizeConfig to apply from `path` (a recipe's `quantize` section, or the file itself).
std::optional<QuantizeConfig> load_quantize_config(const std::string& path,
                                                   const LoadOptions& options,
                                                   SourceManager& sources, Diagnostics& diags);

// The JSON shape of `qcfg normalize` (shared/spec/contract.md section 1).
Value render_loaded_file(const LoadedFile& file);

// The recipe root used for `path` when none is given.
std::string default_recipe_root(const std::string& path);

}  // namespace qcfg
