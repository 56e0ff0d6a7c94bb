// `imports` / `$import` resolution (shared/spec/quant_cfg.md 3.6-3.10) and load_config (3.4).
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>

#include "compiler/loader/loader.h"

namespace qcfg::loader {

namespace {

// Values and nesting levels of a tree (a scalar: 1 value, level 0).
struct Extent {
  size_t nodes = 1;
  size_t depth = 0;
};

Extent extent_of(const Value& v) {
  Extent out;
  auto add = [&](const Value& child) {
    const Extent c = extent_of(child);
    out.nodes += c.nodes;
    out.depth = std::max(out.depth, c.depth + 1);
  };
  if (v.is_list()) {
    for (const Value& item : v.items()) add(item);
  } else if (v.is_map()) {
    for (const MapEntry& e : v.entries()) add(e.value);
  }
  if ((v.is_list() || v.is_map()) && out.depth == 0) out.depth = 1;
  return out;
}

}  // namespace

// One imported file, resolved and validated: the same whatever imports it, so it is read once
// per run (a diamond of imports would otherwise cost 2^depth loads).
struct ImportedSnippet {
  Value data;  // resolved plain data (defaults not filled in)
  SchemaKind schema = SchemaKind::None;
  std::string header_text;
  Extent extent;
  // Chain length from this file to the deepest file below it with an `imports` section (0: this
  // one), for the import depth limit where the file is found in the cache; none without imports.
  std::optional<size_t> import_reach;
};

// Marks one file as "being loaded" for the cycle check while it is in scope.
class Loader::ImportScope {
 public:
  ImportScope(Loader& loader, std::string key) : loader_(loader), key_(std::move(key)) {
    loader_.loading_.insert(key_);
    loader_.chain_.push_back(key_);
  }
  ~ImportScope() {
    loader_.loading_.erase(key_);
    loader_.chain_.pop_back();
  }
  ImportScope(const ImportScope&) = delete;
  ImportScope& operator=(const ImportScope&) = delete;

 private:
  Loader& loader_;
  std::string key_;
};

namespace {

[[noreturn]] void fail(SourceLocation loc, std::string message, std::string rule) {
  throw CompileError(loc, std::move(message), std::move(rule));
}

std::string quoted_name(const Value& name) { return name.repr(); }

// Depth-first search for the first mapping holding `$import` (ModelOpt's "no imports" check).
const Value* find_first_import(const Value& v, const std::string& context, std::string* where) {
  if (v.is_map()) {
    if (const Value* ref = v.find("$import")) {
      *where = context;
      return ref;
    }
    for (const MapEntry& e : v.entries()) {
      if (const Value* r = find_first_import(e.value, context + "." + e.key.str(), where)) {
        return r;
      }
    }
  } else if (v.is_list()) {
    for (size_t i = 0; i < v.items().size(); ++i) {
      const std::string ctx = context + "[" + std::to_string(i) + "]";
      if (const Value* r = find_first_import(v.items()[i], ctx, where)) return r;
    }
  }
  return nullptr;
}

std::string canonical_key(const std::string& path) {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  return ec ? path : p.string();
}

std::string joined(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? ", '" : "'") + items[i] + "'";
  }
  return out + "]";
}

// Imported snippets are copied at every `$import` naming them: a body of N markers to a snippet
// of M values makes N x M values. The count runs over every file of the run (each file is
// resolved once, imports included), so a diamond that doubles at each level fails after at most
// `max_nodes` copies, not 2^depth.
class ImportBudget {
 public:
  ImportBudget(const ReadLimits& limits, size_t& copied) : limits_(limits), copied_(copied) {}

  void charge(const Extent& snippet, size_t depth, SourceLocation at) {
    if (depth + snippet.depth > limits_.max_depth) {
      fail(at,
           "imports nest the document deeper than " + std::to_string(limits_.max_depth) + " levels",
           "input-limit");
    }
    copied_ += snippet.nodes;
    if (copied_ > limits_.max_nodes) {
      fail(at,
           "imports expand the document to more than " + std::to_string(limits_.max_nodes) +
               " values (all imported files of the run together)",
           "input-limit");
    }
  }

 private:
  const ReadLimits& limits_;
  size_t& copied_;
};

// Resolves `$import` markers below one node, given the file's import table.
class MarkerResolver {
 public:
  using Snippets = std::vector<std::shared_ptr<const ImportedSnippet>>;

  MarkerResolver(const std::vector<Value>& names, const Snippets& snippets, ImportBudget budget)
      : names_(names), snippets_(snippets), budget_(budget) {}

  Value resolve(const Value& node, SchemaKind schema, const std::string& context,
                size_t depth = 0) {
    if (node.is_map()) {
      if (node.has("$import")) return merge_imports(node, schema, context, depth);
      Value out = Value::map(node.loc());
      for (const MapEntry& e : node.entries()) {
        SchemaKind child =
            e.key.is_string() ? child_schema(schema, e.key.as_string()) : SchemaKind::None;
        out.entries().push_back(
            MapEntry{e.key, resolve(e.value, child, context + "." + e.key.str(), depth + 1)});
      }
      return out;
    }
    if (node.is_list()) return resolve_list(node, schema, context, depth);
    return node;
  }

 private:
  size_t lookup(const Value& name, const std::string& position, const std::string& context) const {
    if (name.is_list() || name.is_map()) {
      fail(name.loc(),
           "TypeError: unhashable type: '" + name.python_type() + "' as $import reference at " +
               context + "; name one import (a list of names only works in a mapping)",
           "import-reference");
    }
    for (size_t i = 0; i < names_.size(); ++i) {
      if (python_equal(names_[i], name)) return i;
    }
    std::vector<std::string> available;
    for (const Value& n : names_) available.push_back(n.str());
    fail(name.loc(),
         "Unknown $import reference " + quoted_name(name) + " in " + position + " at " + context +
             ". Available imports: " + joined(available),
         "import-unknown");
  }

  Value merge_imports(const Value& node, SchemaKind schema, const std::string& context,
                      size_t depth) {
    const Value& ref = *node.find("$import");
    std::vector<Value> refs = ref.is_list() ? ref.items() : std::vector<Value>{ref};
    Value merged = Value::map(node.loc());
    for (const Value& name : refs) {
      const size_t i = lookup(name, "dict value", context);
      if (!data(i).is_map()) {
        fail(name.loc(),
             "$import " + quoted_name(name) + " in dict must resolve to a dict, got " +
                 data(i).python_type() + ". A list snippet can only be spliced into a list",
             "import-type");
      }
      budget_.charge(snippets_[i]->extent, depth, name.loc());
      for (const MapEntry& e : data(i).entries()) merged.insert(e.key, e.value);
    }
    for (const MapEntry& e : node.entries()) {
      if (e.key.is_string() && e.key.as_string() == "$import") continue;
      merged.insert(e.key, e.value);  // inline keys win (a shallow merge)
    }
    // One level deeper for the budget: a merged snippet that itself holds `$import` (ModelOpt
    // recurses until RecursionError) ends at the nesting limit instead of the stack's end.
    return resolve(merged, schema, context, depth + 1);
  }

  Value resolve_list(const Value& node, SchemaKind schema, const std::string& context,
                     size_t depth) {
    const SchemaKind element = list_element_schema(schema);
    Value out = Value::list(node.loc());
    out.set_tuple(node.is_tuple());
    for (size_t i = 0; i < node.items().size(); ++i) {
      const Value& item = node.items()[i];
      const std::string ctx = context + "[" + std::to_string(i) + "]";
      if (!(item.is_map() && item.size() == 1 && item.has("$import"))) {
        out.push_back(resolve(item, element, ctx, depth + 1));
        continue;
      }
      const Value& ref = *item.find("$import");
      if (ref.is_list() || ref.is_map()) lookup(ref, "list", ctx);  // raises TypeError
      if (!is_typed_list(schema)) {
        fail(ref.loc(),
             "$import " + quoted_name(ref) + " in list at " + ctx +
                 " requires a typed list schema (expected list[ElementType]); this list has "
                 "no schema, so nothing can be spliced or appended here",
             "import-untyped-list");
      }
      const size_t s = lookup(ref, "list", ctx);
      budget_.charge(snippets_[s]->extent, depth, ref.loc());
      if (snippets_[s]->schema == schema) {
        if (!data(s).is_list()) {
          fail(ref.loc(),
               "$import " + quoted_name(ref) + " in list at " + ctx +
                   " has a list schema but its data is a " + data(s).python_type(),
               "import-type");
        }
        for (const Value& spliced : data(s).items()) out.push_back(spliced);
      } else if (element != SchemaKind::None && snippets_[s]->schema == element) {
        out.push_back(data(s));
      } else {
        fail(ref.loc(),
             "$import " + quoted_name(ref) + " in list at " + ctx + " has schema '" +
                 snippets_[s]->header_text +
                 "'; expected either the list schema 'list' for splicing or the "
                 "element schema '" +
                 schema_class_name(element) + "' for appending",
             "import-schema-mismatch");
      }
    }
    return out;
  }

  const Value& data(size_t i) const { return snippets_[i]->data; }

  const std::vector<Value>& names_;
  const Snippets& snippets_;
  ImportBudget budget_;
};

// Adds "while importing ..." to an error raised inside an imported file (not to one located at
// the import itself, which already points there).
CompileError with_note(const CompileError& e, const std::string& note, SourceLocation at) {
  std::vector<Diagnostic> ds = e.diagnostics();
  const bool at_import = !ds.empty() && ds.front().loc.file == at.file &&
                         ds.front().loc.line == at.line && ds.front().loc.column == at.column;
  if (!ds.empty() && !at_import) ds.front().notes.push_back(note);
  return CompileError(std::move(ds));
}

}  // namespace

std::string Loader::locate_import(const MapEntry& import) {
  const Value& path = import.value;
  if (!path.truthy()) {
    fail(path.loc().known() ? path.loc() : import.key.loc(),
         "Import '" + import.key.str() + "' has an empty config path.", "import-path");
  }
  if (!path.is_string()) {
    fail(path.loc(), "Invalid config file of " + path.repr() + ": an import path is a string",
         "import-path");
  }
  std::vector<std::string> checked;
  std::optional<std::string> found = locate_config(path.as_string(), &checked);
  if (!found) {
    fail(path.loc(),
         "Cannot find config file of " + path.as_string() + ", paths checked: " + joined(checked),
         "import-not-found");
  }
  std::string resolved;
  if (!options_.allow_outside_root && !inside_allowed_roots(*found, &resolved)) {
    fail(path.loc(),
         "import '" + path.as_string() + "' resolves to '" + resolved +
             "', outside the working directory and the recipe root; keep imports inside them "
             "(or pass --allow-outside-root if you trust this recipe)",
         "import-outside-root");
  }
  if (++imports_loaded_ > options_.max_imports_total) {
    fail(path.loc(),
         "more than " + std::to_string(options_.max_imports_total) +
             " imports resolved in one run (a file imported in two places counts twice); "
             "simplify the import graph",
         "input-limit");
  }
  return *found;
}

Value Loader::resolve_imports(const Value& data, const Value& imports, SchemaKind schema,
                              const SourceFile& file) {
  Value body = data;
  if (body.is_map()) body.erase("imports");
  if (!imports.truthy()) {
    std::string where;
    if (const Value* ref = find_first_import(body, "root", &where)) {
      fail(ref->loc(),
           "Unknown $import reference " + ref->repr() + " in " + where +
               ". No imports are declared: add an `imports:` section naming it",
           "import-undeclared");
    }
    return body;
  }
  if (!imports.is_map()) {
    fail(imports.loc(),
         "'imports' must be a dict mapping names to config paths, got: " + imports.python_type(),
         "import-section");
  }
  if (chain_.size() >= options_.max_import_depth) {
    fail(imports.loc(),
         "imports nested deeper than " + std::to_string(options_.max_import_depth) + " files",
         "input-limit");
  }
  if (imports.size() > options_.max_imports_per_file) {
    fail(imports.loc(),
         "more than " + std::to_string(options_.max_imports_per_file) +
             " imports in one file; split the section",
         "input-limit");
  }
  deepest_import_ = std::max(deepest_import_, chain_.size());
  std::vector<Value> names;
  MarkerResolver::Snippets snippets;
  for (const MapEntry& e : imports.entries()) {
    names.push_back(e.key);
    snippets.push_back(import_snippet(e));
  }
  (void)file;
  MarkerResolver resolver(names, snippets, ImportBudget(options_.limits, values_imported_));
  return resolver.resolve(body, schema, "root");
}

std::shared_ptr<const ImportedSnippet> Loader::import_snippet(const MapEntry& import) {
  const Value& path = import.value;
  const std::string found = locate_import(import);
  const std::string key = canonical_key(found);
  if (loading_.count(key)) {
    std::vector<std::string> sorted(loading_.begin(), loading_.end());
    fail(path.loc(),
         "Circular import detected: '" + path.as_string() + "' (resolves to '" + key +
             "') is already being loaded. Import chain: " + joined(sorted),
         "import-cycle");
  }
  ImportScope scope(*this, key);
  // A file read before resolves the same here (its result depends on its own text only), and
  // holds no cycle back into this chain: that cycle would have failed its first resolution.
  if (auto cached = import_cache_.find(key); cached != import_cache_.end()) {
    check_cached_depth(*cached->second, path.loc());
    return cached->second;
  }
  try {
    auto snippet = read_snippet(import, found);
    import_cache_.emplace(key, snippet);
    return snippet;
  } catch (const CompileError& err) {
    throw with_note(err, "while importing '" + import.key.str() + "' at " + path.loc().str(),
                    path.loc());
  }
}

// The import depth limit for a file taken from the cache: its own imports nest as deep below
// this chain as they would if it were read again here.
void Loader::check_cached_depth(const ImportedSnippet& snippet, SourceLocation at) {
  if (!snippet.import_reach) return;
  const size_t deepest = chain_.size() + *snippet.import_reach;
  if (deepest >= options_.max_import_depth) {
    fail(at, "imports nested deeper than " + std::to_string(options_.max_import_depth) + " files",
         "input-limit");
  }
  deepest_import_ = std::max(deepest_import_, deepest);
}

std::shared_ptr<const ImportedSnippet> Loader::read_snippet(const MapEntry& import,
                                                            const std::string& found) {
  const Value& path = import.value;
  RawFile raw = load_raw(found, path.loc());
  if (raw.declared_schema_text.empty()) {
    fail(path.loc(),
         "Import '" + import.key.str() + "' (" + path.as_string() +
             ") must reference a snippet with a modelopt-schema comment",
         "import-no-schema");
  }
  SchemaLookup lookup = schema_from_header_path(raw.declared_schema_text);
  if (!lookup.error.empty()) fail(raw.declared_schema_loc, lookup.error, "schema-header");
  auto snippet = std::make_shared<ImportedSnippet>();
  const size_t entry = chain_.size(), outer_deepest = deepest_import_;
  deepest_import_ = 0;
  snippet->data = raw.data;
  if (raw.list_snippet) {
    snippet->data = resolve_imports(raw.data, raw.header_imports, lookup.kind, *raw.file);
  } else if (raw.data.is_map() && raw.data.has("imports")) {
    snippet->data = resolve_imports(raw.data, *raw.data.find("imports"), lookup.kind, *raw.file);
  }
  if (deepest_import_ >= entry) snippet->import_reach = deepest_import_ - entry;
  deepest_import_ = std::max(outer_deepest, deepest_import_);
  if (validator_) {
    std::vector<Diagnostic> errors =
        validator_(lookup.kind, snippet->data, *raw.file, raw.declared_schema_text);
    if (!errors.empty()) throw CompileError(std::move(errors));
  }
  snippet->schema = lookup.kind;
  snippet->header_text = raw.declared_schema_text;
  snippet->extent = extent_of(snippet->data);
  return snippet;
}

LoadedConfig Loader::load_config(const std::string& path, SchemaKind schema) {
  LoadedConfig out;
  out.raw = load_raw(path);
  RawFile& raw = out.raw;
  if (!raw.declared_schema_text.empty()) {
    SchemaLookup lookup = schema_from_header_path(raw.declared_schema_text);
    if (!lookup.error.empty()) fail(raw.declared_schema_loc, lookup.error, "schema-header");
    raw.declared_schema = lookup.kind;
  }
  out.effective_schema = schema != SchemaKind::None ? schema : raw.declared_schema;
  out.schema_label = !raw.declared_schema_text.empty() ? raw.declared_schema_text
                                                       : schema_class_name(out.effective_schema);
  out.data = raw.data;
  if (raw.is_json) return out;
  // ModelOpt's cycle set starts empty: the top file itself is not in it.
  if (raw.list_snippet) {
    out.data = resolve_imports(raw.data, raw.header_imports, out.effective_schema, *raw.file);
  } else if (raw.data.is_map()) {
    const Value* imports = raw.data.find("imports");
    out.data = resolve_imports(raw.data, imports ? *imports : Value::null(), out.effective_schema,
                               *raw.file);
  }
  return out;
}

}  // namespace qcfg::loader
