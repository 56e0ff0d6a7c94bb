#include "driver/pipeline.h"

#include <filesystem>

#include "compiler/input_file.h"
#include "compiler/loader/loader.h"
#include "driver/schema_bridge.h"

namespace qcfg {
namespace {

namespace fs = std::filesystem;
using loader::LoadedConfig;
using loader::Loader;
using loader::RawFile;
using loader::SchemaKind;

struct RecipeType {
  std::string_view value;
  std::string_view section;
  SchemaKind schema;
};

constexpr RecipeType kRecipeTypes[] = {
    {"ptq", "quantize", SchemaKind::PtqRecipe},
    {"auto_quantize", "auto_quantize", SchemaKind::AutoQuantizeRecipe},
    {"speculative_eagle", "eagle", SchemaKind::SpeculativeEagleRecipe},
    {"speculative_dflash", "dflash", SchemaKind::SpeculativeDflashRecipe},
    {"speculative_medusa", "medusa", SchemaKind::SpeculativeMedusaRecipe},
};

[[noreturn]] void fail(SourceLocation loc, std::string message, std::string rule) {
  throw CompileError(loc, std::move(message), std::move(rule));
}

SourceLocation file_start(const SourceFile* f) { return SourceLocation{f, 1, 1}; }

// shared/spec/quant_cfg.md 1.3: files of a recipe tree that ModelOpt's recipe tooling reads by
// their place.
bool read_by_distillation_loader(const std::string& path) {
  return path.find("general/distillation/") != std::string::npos;
}

// Adds a validation outcome to `out`; throws on errors.
void take(driver::Validated v, LoadedFile& out, Diagnostics& diags) {
  for (Diagnostic& w : v.warnings) diags.add(std::move(w));
  if (!v.ok()) throw CompileError(std::move(v.errors));
  for (auto& qc : v.quantize_configs) out.quantize_configs.push_back(std::move(qc));
  if (v.entries) out.entries = std::move(v.entries);
  if (v.attributes) out.attributes = std::move(v.attributes);
  if (v.model_dump) out.model_dump = std::move(v.model_dump);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

class FileLoader {
 public:
  FileLoader(const std::string& path, const LoadOptions& options, SourceManager& sources,
             Diagnostics& diags)
      : path_(path),
        diags_(diags),
        loader_(sources, loader_options(path, options), snippet_validator()) {}

  LoadedFile load(ReadMode mode) {
    out_.path = path_;
    if (loader_.sources().provider().is_directory(path_)) {
      load_directory_recipe();
    } else if (mode == ReadMode::Auto) {
      load_auto();
    } else if (mode == ReadMode::Config) {
      load_as_config();
    } else {
      load_as_recipe_tree();
    }
    out_.duplicate_keys = loader_.duplicate_keys();
    return std::move(out_);
  }

 private:
  static loader::LoaderOptions loader_options(const std::string& path, const LoadOptions& o) {
    loader::LoaderOptions lo;
    lo.recipe_root = o.recipe_root.empty() ? default_recipe_root(path) : o.recipe_root;
    lo.cwd = o.cwd;
    lo.limits = o.limits;
    lo.allow_outside_root = o.allow_outside_root;
    return lo;
  }

  static loader::SnippetValidator snippet_validator() {
    return [](SchemaKind schema, const Value& data, const SourceFile&, const std::string& label) {
      driver::Validated v = driver::validate_as(schema, data);
      for (Diagnostic& d : v.errors) {
        d.notes.push_back("the snippet does not match modelopt-schema '" + label + "'");
      }
      return v.errors;
    };
  }

  void load_auto() {
    const std::string text = read_text();
    if (!loader::scan_schema_header(text).value.empty()) return load_as_recipe_tree();
    // ModelOpt's distillation tooling, not its quant_cfg reader, reads these files: reading
    // them as a quant_cfg would reject what ModelOpt accepts.
    if (read_by_distillation_loader(path_)) return load_as_recipe_tree();
    RawFile raw = loader_.load_raw(path_);
    if (raw.data.is_map() && raw.data.has("metadata")) return load_recipe();
    load_as_config();
  }

  // shared/spec/quant_cfg.md 1.2: what a Python caller passing this file's content gets.
  void load_as_config() {
    RawFile raw = loader_.load_raw(path_);
    out_.declared_schema = raw.declared_schema_text;
    const Value& data = raw.data;
    if (data.is_list()) {
      out_.input_kind = "quant_cfg_list";
      Value list = data;
      if (raw.list_snippet) {
        list = loader_.resolve_imports(data, raw.header_imports, SchemaKind::EntryList, *raw.file);
      }
      take(driver::validate_quant_cfg_value(list, "$"), out_, diags_);
      return;
    }
    if (data.is_map() && data.has("metadata")) {
      load_recipe();
      if (out_.quantize_configs.empty()) {
        fail(file_start(raw.file),
             "this recipe has no quantize config to normalize (recipe type '" +
                 out_.recipe_type.value_or("?") + "')",
             "recipe-no-quantize");
      }
      return;
    }
    if (data.is_map()) {
      const bool has_imports = !raw.is_json && data.has("imports");
      Value body = data;
      if (is_quantize_config_mapping(data)) {
        out_.input_kind = "quantize_config";
        if (has_imports) {
          body = loader_.resolve_imports(data, *data.find("imports"), SchemaKind::QuantizeConfig,
                                         *raw.file);
        }
        take(driver::validate_quantize_config(body, "$"), out_, diags_);
      } else {
        out_.input_kind = "quant_cfg_legacy_dict";
        if (has_imports) {
          body = loader_.resolve_imports(data, *data.find("imports"), SchemaKind::None, *raw.file);
        }
        take(driver::validate_quant_cfg_value(body, "$"), out_, diags_);
      }
      return;
    }
    out_.input_kind = "quantize_config";
    take(driver::validate_quantize_config(data, "$"), out_, diags_);
  }

  // Ignoring `imports`, the keys contain quant_cfg or are a subset of the QC fields.
  static bool is_quantize_config_mapping(const Value& m) {
    bool subset = true;
    for (const MapEntry& e : m.entries()) {
      const std::string k = e.key.is_string() ? e.key.as_string() : std::string();
      if (k == "imports") continue;
      if (k == "quant_cfg") return true;
      if (k != "algorithm" && k != "effective_bits") subset = false;
    }
    return subset;
  }

  // shared/spec/quant_cfg.md 1.3: how ModelOpt's recipe tooling reads a file of a recipe tree.
  void load_as_recipe_tree() {
    RawFile peeked;
    bool have_document = true;
    loader::SchemaHeader header;
    try {
      header = loader::scan_schema_header(read_text());
      if (header.duplicated) {
        loader_.load_raw(path_);  // reports the duplicate header with its location
      }
      peeked = peek_first_document();
    } catch (const CompileError& e) {
      if (header.duplicated) throw;
      have_document = false;
    }
    const Value& first = peeked.data;
    const bool is_map = have_document && first.is_map();
    if (is_map && (first.has("metadata") || (header.value.empty() && has_recipe_section(first)))) {
      load_recipe();
      return;
    }
    if (!header.value.empty()) {
      out_.input_kind = "snippet";
      LoadedConfig lc = loader_.load_config(path_);
      record_document(lc);
      take(driver::validate_as(lc.effective_schema, lc.data), out_, diags_);
      return;
    }
    if (read_by_distillation_loader(path_)) {
      out_.input_kind = "distillation";
      record_document(loader_.load_config(path_));
      // load_dmd_config reads the file with yaml.safe_load: no imports, no conversions.
      take(driver::validate_distillation_config(loader_.load_raw(path_).data), out_, diags_);
      return;
    }
    if (is_map && first.has("quant_cfg")) {
      out_.input_kind = "quantize_config";
      LoadedConfig lc = loader_.load_config(path_, SchemaKind::QuantizeConfig);
      record_document(lc);
      take(driver::validate_quantize_config(lc.data, "$"), out_, diags_);
      return;
    }
    out_.input_kind = "untyped";
    record_document(loader_.load_config(path_));
  }

  static bool has_recipe_section(const Value& m) {
    for (const RecipeType& t : kRecipeTypes) {
      if (m.has(t.section)) return true;
    }
    return false;
  }

  const SourceFile* read_file() {
    return read_input_file(loader_.sources(), path_, loader_.options().limits.max_bytes,
                           kConfigSizeAdvice);
  }

  std::string read_text() { return read_file()->text; }

  // The path given on the command line, for errors about the file as a whole.
  SourceLocation at_path() { return SourceLocation{loader_.sources().name_only(path_), 0, 0}; }

  // The first YAML document, as `yaml.safe_load` would see it for peeking.
  RawFile peek_first_document() {
    const SourceFile* f = read_file();
    RawFile r;
    r.file = f;
    std::vector<Value> docs = read_yaml_documents(*f, loader_.options().limits);
    r.document_count = docs.size();
    if (!docs.empty()) r.data = std::move(docs[0]);
    return r;
  }

  void record_document(const LoadedConfig& lc) {
    out_.document = lc.data;
    out_.declared_schema = lc.raw.declared_schema_text;
  }

  // ModelOpt's load_recipe for a file (shared/spec/quant_cfg.md 3.12).
  void load_recipe() {
    out_.input_kind = "recipe";
    RawFile peek = peek_first_document();
    if (peek.document_count > 1) {
      fail(file_start(peek.file),
           "a recipe file must be a single YAML document (ModelOpt's recipe loader fails with "
           "'expected a single document in the stream'); merge the imports header into the body",
           "multi-document-recipe");
    }
    const RecipeType* type = recipe_type_of(peek);
    if (const Value* section = peek.data.find(type->section); section == nullptr) {
      fail(file_start(peek.file),
           upper(strip_speculative(type->value)) + " recipe file " + path_ + " must contain '" +
               std::string(type->section) + "'.",
           "recipe-missing-section");
    }
    out_.recipe_type = std::string(type->value);
    LoadedConfig lc = loader_.load_config(path_, type->schema);
    record_document(lc);
    take(driver::validate_as(type->schema, lc.data), out_, diags_);
  }

  static std::string strip_speculative(std::string_view v) {
    constexpr std::string_view kPrefix = "speculative_";
    if (v.rfind(kPrefix, 0) == 0) v.remove_prefix(kPrefix.size());
    return std::string(v);
  }

  const RecipeType* recipe_type_of(const RawFile& peek) {
    const Value* metadata = peek.data.is_map() ? peek.data.find("metadata") : nullptr;
    const Value* type = metadata && metadata->is_map() ? metadata->find("recipe_type") : nullptr;
    if (type && type->is_string()) {
      for (const RecipeType& t : kRecipeTypes) {
        if (t.value == type->as_string()) return &t;
      }
    }
    SourceLocation at = type ? type->loc() : metadata ? metadata->loc() : file_start(peek.file);
    std::string known;
    for (const RecipeType& t : kRecipeTypes)
      known += (known.empty() ? "" : ", ") + std::string(t.value);
    fail(at,
         "Recipe file " + path_ + " must contain a 'metadata.recipe_type' field" +
             (type ? " with a known recipe type (got " + type->repr() + "; known: " + known + ")"
                   : " (one of: " + known + ")"),
         "recipe-type");
  }

  // A directory recipe: metadata.yml|yaml, then (PTQ) quantize.yml|yaml.
  void load_directory_recipe() {
    out_.input_kind = "recipe";
    const std::string metadata = find_in_dir({"metadata.yml", "metadata.yaml"});
    if (metadata.empty()) {
      fail(at_path(), "recipe directory " + path_ + " has no metadata.yml or metadata.yaml",
           "recipe-directory");
    }
    LoadedConfig meta = loader_.load_config(metadata, SchemaKind::RecipeMetadata);
    take(driver::validate_as(SchemaKind::RecipeMetadata, meta.data), out_, diags_);
    const Value* type = meta.data.find("recipe_type");
    const std::string type_text = type && type->is_string() ? type->as_string() : "";
    out_.recipe_type = type_text;
    if (type_text != "ptq") {
      fail(type ? type->loc() : file_start(meta.raw.file),
           "Unsupported recipe type: " + type_text + " (a recipe directory holds a PTQ recipe)",
           "recipe-directory");
    }
    const std::string quantize = find_in_dir({"quantize.yml", "quantize.yaml"});
    if (quantize.empty()) {
      fail(file_start(meta.raw.file),
           "Cannot find quantize in " + path_ + ". Looked for: quantize.yml, quantize.yaml",
           "recipe-directory");
    }
    LoadedConfig q = loader_.load_config(quantize, SchemaKind::QuantizeConfig);
    Value document = Value::map();
    document.set("metadata", meta.data);
    document.set("quantize", q.data);
    out_.document = document;
    take(driver::validate_quantize_config(q.data, "quantize"), out_, diags_);
  }

  std::string find_in_dir(std::initializer_list<const char*> names) const {
    for (const char* n : names) {
      const std::string p = (fs::path(path_) / n).string();
      if (loader_.sources().provider().is_file(p)) return p;
    }
    return {};
  }

  std::string path_;
  Diagnostics& diags_;
  Loader loader_;
  LoadedFile out_;
};

}  // namespace

std::string default_recipe_root(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  for (fs::path dir = p.parent_path(); !dir.empty(); dir = dir.parent_path()) {
    if (dir.filename() == "modelopt_recipes") return dir.string();
    if (dir == dir.parent_path()) break;
  }
  return {};
}

std::optional<LoadedFile> load_file(const std::string& path, const LoadOptions& options,
                                    SourceManager& sources, Diagnostics& diags) {
  try {
    FileLoader loader(path, options, sources, diags);
    return loader.load(options.mode);
  } catch (const CompileError& e) {
    for (const Diagnostic& d : e.diagnostics()) diags.add(d);
    return std::nullopt;
  }
}

std::optional<QuantizeConfig> load_quantize_config(const std::string& path,
                                                   const LoadOptions& options,
                                                   SourceManager& sources, Diagnostics& diags) {
  std::optional<LoadedFile> file = load_file(path, options, sources, diags);
  if (!file) return std::nullopt;
  for (auto& [where, qc] : file->quantize_configs) {
    if (where == "$" || where == "quantize") return qc;
  }
  diags.error(SourceLocation{sources.name_only(path), 0, 0},
              "holds no quantize config to apply (input kind " + file->input_kind + ")",
              "no-quantize-config");
  return std::nullopt;
}

Value render_loaded_file(const LoadedFile& file) {
  Value out = Value::map();
  out.set("error", Value::boolean(false));
  out.set("input_kind", Value::string(file.input_kind));
  out.set("recipe_type", file.recipe_type ? Value::string(*file.recipe_type) : Value::null());
  if (file.document) out.set("document", *file.document);
  Value configs = Value::map();
  for (const auto& [where, qc] : file.quantize_configs) {
    configs.set(where, driver::quantize_config_view(qc));
  }
  out.set("quantize_configs", configs);
  if (file.entries) {
    Value entries = Value::list();
    for (const QuantizerEntry& e : *file.entries) entries.push_back(driver::entry_view(e));
    out.set("entries", entries);
  }
  if (file.attributes) out.set("attributes", *file.attributes);
  if (file.model_dump) out.set("model_dump", *file.model_dump);
  if (!file.declared_schema.empty()) {
    out.set("declared_schema", Value::string(file.declared_schema));
  }
  return out;
}

}  // namespace qcfg
