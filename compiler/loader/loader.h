// The recipe-tree loader: reads one file the way ModelOpt's config loader does (schema header,
// YAML documents rule, ExMy strings), finds imported files (working directory first, then the
// recipe root) and resolves `imports` / `$import` with the schema threaded down to each position.
// It validates imported snippets through an injected SnippetValidator, so this stage never
// depends on the schema stage that comes after it.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/document/reader.h"
#include "compiler/loader/schema_kind.h"
#include "compiler/source.h"
#include "compiler/value.h"

namespace qcfg::loader {

struct LoaderOptions {
  std::string recipe_root;  // ModelOpt's installed `modelopt_recipes`; empty: none
  std::string cwd = ".";    // relative imports are tried here first (ModelOpt: process cwd)
  ReadLimits limits;        // per file; nodes and nesting also bound each import-resolved result
  size_t max_import_depth = 64;
  size_t max_imports_per_file = 256;  // names in one `imports` section (fan-out)
  // Import names resolved in one run, every name of every `imports` section counted (a file
  // imported twice counts twice, though it is read once: see Loader::import_cache_).
  size_t max_imports_total = 4096;
  // Imports must resolve (symlinks followed) inside `cwd` or `recipe_root`: a recipe from
  // elsewhere cannot make qcfg read /etc/passwd or ../../secrets. True lifts the restriction.
  bool allow_outside_root = false;
};

// Checks `data` against `schema`; returns the errors (empty when valid). `label` is the schema
// name ModelOpt prints (the header text, or the class name).
using SnippetValidator = std::function<std::vector<Diagnostic>(
    SchemaKind schema, const Value& data, const SourceFile& file, const std::string& label)>;

// A file as read, before imports are resolved.
struct RawFile {
  const SourceFile* file = nullptr;
  bool is_json = false;
  Value data;                        // after the documents rule and ExMy conversion
  bool list_snippet = false;         // two YAML documents: imports header + list body
  Value header_imports;              // list snippet only: the header's `imports` value
  std::string declared_schema_text;  // `# modelopt-schema:` value, empty when none
  SourceLocation declared_schema_loc;
  SchemaKind declared_schema = SchemaKind::None;
  size_t document_count = 0;
};

// A file after load_config: imports resolved with the effective schema.
struct LoadedConfig {
  RawFile raw;
  Value data;
  SchemaKind effective_schema = SchemaKind::None;
  std::string schema_label;  // for "does not match modelopt-schema '<label>'" messages
};

struct ImportedSnippet;

class Loader {
 public:
  Loader(SourceManager& sources, LoaderOptions options, SnippetValidator validator);

  // ModelOpt's import lookup (`_resolve_config_path`): returns the first existing file among the
  // candidates, filling `checked` with every candidate tried.
  std::optional<std::string> locate_config(const std::string& path,
                                           std::vector<std::string>* checked) const;
  // load_recipe's lookup: recipe root first, then the working directory; files or directories.
  std::optional<std::string> locate_recipe(const std::string& path) const;
  // Whether `found` (a located import) lies inside the working directory or the recipe root
  // once `..` and symlinks are resolved; fills `resolved` with that canonical path.
  bool inside_allowed_roots(const std::string& found, std::string* resolved) const;

  // Reads and parses `path` (no imports). Throws CompileError.
  RawFile load_raw(const std::string& path, SourceLocation requested_at = {});

  // `load_config(path, schema_type)`: raw load, then imports resolved with `schema` (None: the
  // declared one). A single-document list is never import-resolved. Throws CompileError.
  LoadedConfig load_config(const std::string& path, SchemaKind schema = SchemaKind::None);

  // Resolves the `imports` of a mapping (or of a list snippet's header) and every `$import`
  // inside it. `data` is the whole mapping (its `imports` key is removed) or the list body.
  Value resolve_imports(const Value& data, const Value& imports, SchemaKind schema,
                        const SourceFile& file);

  SourceManager& sources() { return sources_; }
  const SourceManager& sources() const { return sources_; }
  const LoaderOptions& options() const { return options_; }
  // Keys written twice in a mapping of any file load_raw has read (reader.h).
  const std::vector<DuplicateKey>& duplicate_keys() const { return duplicate_keys_; }

 private:
  class ImportScope;

  // Checks the limits and the root confinement of one import; returns the located file.
  std::string locate_import(const MapEntry& import);
  // One name of an `imports` section, resolved and validated (from the cache when read before).
  std::shared_ptr<const ImportedSnippet> import_snippet(const MapEntry& import);
  std::shared_ptr<const ImportedSnippet> read_snippet(const MapEntry& import,
                                                      const std::string& found);
  void check_cached_depth(const ImportedSnippet& snippet, SourceLocation at);

  std::set<std::string> loading_;   // cycle keys of the files being loaded (ModelOpt's rule)
  std::vector<std::string> chain_;  // the same, in import order, for messages
  size_t imports_loaded_ = 0;       // against options_.max_imports_total
  // ModelOpt reads an import again wherever it is named; its result depends only on the file, so
  // qcfg reads, resolves and validates each file once per run (keyed like loading_).
  std::map<std::string, std::shared_ptr<const ImportedSnippet>> import_cache_;
  size_t values_imported_ = 0;  // values copied by `$import` in the run, against limits.max_nodes
  size_t deepest_import_ = 0;   // longest chain_ at an `imports` section since the last reset
  std::vector<DuplicateKey> duplicate_keys_;
  SourceManager& sources_;
  LoaderOptions options_;
  SnippetValidator validator_;
};

// The `# modelopt-schema:` header of a file's text (ModelOpt's scan rules).
struct SchemaHeader {
  std::string value;  // empty when none
  uint32_t line = 0;
  uint32_t column = 0;
  bool duplicated = false;  // a second header line: an error
  uint32_t duplicate_line = 0;
};
SchemaHeader scan_schema_header(std::string_view text);

// Replaces `eXmY` strings under `num_bits` / `scale_bits` keys by (X, Y) tuples, in place.
void convert_exmy_strings(Value& v);

}  // namespace qcfg::loader
