#include "migrations/migrate.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "compiler/document/reader.h"
#include "compiler/loader/loader.h"
#include "migrations/equivalence.h"
#include "migrations/rewriter.h"

namespace qcfg::migrations {

namespace {

using loader::SchemaKind;

bool has_json_suffix(const std::string& path) {
  if (path.size() < 5) return false;
  std::string suffix = path.substr(path.size() - 5);
  std::transform(suffix.begin(), suffix.end(), suffix.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return suffix == ".json";
}

constexpr std::string_view kRecipeSections[] = {"metadata", "quantize", "auto_quantize", "ptq_cfg"};
constexpr std::string_view kSpeculativeSections[] = {"eagle", "dflash", "medusa"};

bool is_recipe(const Value& map) {
  return std::any_of(std::begin(kRecipeSections), std::end(kRecipeSections),
                     [&](std::string_view k) { return map.has(k); });
}

bool is_speculative_recipe(const Value& map) {
  return std::any_of(std::begin(kSpeculativeSections), std::end(kSpeculativeSections),
                     [&](std::string_view k) { return map.has(k); });
}

// shared/spec/quant_cfg.md §1.2 row 3: a QuantizeConfig mapping (ignoring `imports`).
bool is_quantize_config_mapping(const Value& map) {
  bool subset = true;
  for (const MapEntry& e : map.entries()) {
    const std::string key = e.key.is_string() ? e.key.as_string() : std::string();
    if (key == "quant_cfg") return true;
    if (key != "imports" && key != "algorithm" && key != "effective_bits") subset = false;
  }
  return subset;
}

// What the whole file is, as far as migration cares.
enum class FileRole { Nothing, Recipe, QuantizeConfig, EntryList, Entry, LegacyDictCandidate };

FileRole role_of(const Value& root, SchemaKind declared, bool has_header, const std::string& path) {
  if (has_header) {
    switch (declared) {
      case SchemaKind::QuantizeConfig:
        return FileRole::QuantizeConfig;
      case SchemaKind::PtqRecipe:
      case SchemaKind::AutoQuantizeRecipe:
        return FileRole::Recipe;
      case SchemaKind::EntryList:
        return FileRole::EntryList;
      case SchemaKind::Entry:
        return FileRole::Entry;
      default:
        return FileRole::Nothing;
    }
  }
  if (root.is_list()) return FileRole::EntryList;
  if (!root.is_map()) return FileRole::Nothing;
  if (is_speculative_recipe(root)) return FileRole::Nothing;
  if (is_recipe(root)) return FileRole::Recipe;
  if (is_quantize_config_mapping(root)) return FileRole::QuantizeConfig;
  if (path.find("general/distillation/") != std::string::npos) return FileRole::Nothing;
  if (root.has("imports")) return FileRole::Nothing;  // an untyped file of a recipe tree
  return FileRole::LegacyDictCandidate;
}

void migrate_recipe(Rewriter& rw, const Value& root, size_t limit) {
  if (const MapEntry* ptq = root.find_entry("ptq_cfg")) {
    if (root.has("quantize")) {
      Diagnostic d{Severity::Warning,
                   ptq->key.loc(),
                   "this recipe has both `ptq_cfg` and `quantize`; ModelOpt rejects `ptq_cfg`: "
                   "merge it into `quantize` by hand",
                   kRuleNotMigrated,
                   {}};
      rw.warnings().push_back(std::move(d));
    } else {
      rw.rename_key(*ptq, "ptq_cfg", "quantize", "ptq-cfg-section",
                    "recipe section `ptq_cfg` renamed to `quantize`");
      Diagnostic d{Severity::Warning,
                   ptq->key.loc(),
                   "ModelOpt rejects a `ptq_cfg` section (it must be `quantize`); it is renamed, "
                   "so the migrated recipe loads where the original did not",
                   kRuleOriginalInvalid,
                   {}};
      rw.warnings().push_back(std::move(d));
    }
  }
  rw.visit_for_quant_cfg(root, limit);
}

// The documents of the file and the node that holds its content (the body of a two-document
// list file).
struct ReadFile {
  std::vector<Value> documents;
  const Value* root = nullptr;
};

ReadFile read_documents(const SourceFile& file, bool json) {
  ReadFile out;
  if (json) {
    out.documents.push_back(read_json(file));
  } else {
    out.documents = read_yaml_documents(file);
  }
  if (out.documents.empty()) return out;
  out.root = &out.documents.front();
  if (out.documents.size() == 2 && out.documents[1].is_list()) out.root = &out.documents[1];
  return out;
}

void run_rewriter(Rewriter& rw, const Value& root, FileRole role) {
  const SourceText& src = rw.source();
  const size_t root_off = src.offset(root.loc());
  const size_t limit = root_off == kNoOffset ? src.size() : src.document_end(root_off);
  switch (role) {
    case FileRole::Recipe:
      return migrate_recipe(rw, root, limit);
    case FileRole::QuantizeConfig:
      return rw.visit_for_quant_cfg(root, limit);
    case FileRole::EntryList:
      if (root.is_list()) rw.migrate_list(root, limit);
      return;
    case FileRole::Entry:
      if (root.is_map()) rw.fix_quantizer_path(root);
      return;
    case FileRole::LegacyDictCandidate:
      return rw.migrate_flat_dict(root, limit, kNoOffset);
    case FileRole::Nothing:
      return;
  }
}

std::string first_error(const Diagnostics& diags) {
  for (const Diagnostic& d : diags.items()) {
    if (d.severity == Severity::Error) return d.message;
  }
  return "unknown error";
}

// Whether a mapping that is neither a recipe nor a QuantizeConfig reads as a legacy quant_cfg
// (patterns, `nn.*` scopes, `default`), so that warnings about it are worth showing.
bool looks_like_quant_cfg(const Value& map) {
  return std::any_of(map.entries().begin(), map.entries().end(), [](const MapEntry& e) {
    if (!e.key.is_string()) return false;
    const std::string& k = e.key.as_string();
    return k == "default" || k.rfind("nn.", 0) == 0 || k.find('*') != std::string::npos ||
           k.find("quantizer") != std::string::npos;
  });
}

Diagnostic warning_at(SourceLocation loc, std::string message, const char* rule) {
  return Diagnostic{Severity::Warning, loc, std::move(message), rule, {}};
}

// Normalizes the original and the migrated text and reports where they differ. Returns false
// when the migrated text must not be used (it does not load although the original does).
bool check_meaning(const std::string& path, std::string_view original, MigrateResult& result,
                   const MigrateOptions& options, bool legacy_root) {
  const SourceLocation at = result.edits.front().loc;
  NormalizedText before = normalize_text(path, original, options);
  if (legacy_root && (!before.file || before.file->input_kind != "quant_cfg_legacy_dict")) {
    return false;  // not a quant_cfg after all (some other YAML file): leave it alone
  }
  NormalizedText after = normalize_text(path, result.new_text, options);
  const bool reason_given =
      std::any_of(result.warnings.begin(), result.warnings.end(),
                  [](const Diagnostic& w) { return w.rule_id == kRuleOriginalInvalid; });
  if (!before.file && reason_given) return true;
  if (!before.file) {
    const std::string reason = first_error(before.diags);
    result.warnings.push_back(warning_at(
        at,
        fmt::format("the original does not load ({}), so the migrated text{} cannot be checked "
                    "against it",
                    reason, after.file ? " (which loads)" : ""),
        kRuleOriginalInvalid));
    return true;
  }
  if (!after.file) {
    const std::string reason = first_error(after.diags);
    result.warnings.push_back(warning_at(
        at,
        fmt::format("left unchanged: the migrated text would not load ({}); please report this "
                    "file",
                    reason),
        kRuleMeaningChanged));
    return false;
  }
  if (auto diff = first_difference(*before.file, *after.file)) {
    result.warnings.push_back(
        warning_at(at, "the migrated config means something else: " + *diff, kRuleMeaningChanged));
  }
  return true;
}

}  // namespace

std::string apply_edits(std::string_view text, const std::vector<TextEdit>& edits) {
  std::string out;
  size_t pos = 0;
  for (const TextEdit& e : edits) {
    out += text.substr(pos, e.begin - pos);
    out += e.replacement;
    pos = e.end;
  }
  out += text.substr(pos);
  return out;
}

MigrateResult migrate_text(const std::string& path, std::string_view text, SourceManager& sources,
                           const MigrateOptions& options) {
  std::error_code ec;
  const std::filesystem::path abs = std::filesystem::weakly_canonical(path, ec);
  const SourceFile* file = sources.add(path, ec ? path : abs.string(), std::string(text));
  const bool json = has_json_suffix(path);
  const ReadFile read = read_documents(*file, json);
  MigrateResult result;
  result.new_text = std::string(text);
  if (read.root == nullptr) return result;

  const loader::SchemaHeader header =
      json ? loader::SchemaHeader{} : loader::scan_schema_header(file->text);
  const SchemaKind declared =
      header.value.empty() ? SchemaKind::None : loader::schema_from_header_path(header.value).kind;
  const FileRole role = role_of(*read.root, declared, !header.value.empty(), path);

  Rewriter rw(*file, json);
  run_rewriter(rw, *read.root, role);
  result.edits = std::move(rw.edits());
  result.warnings = std::move(rw.warnings());
  std::sort(result.edits.begin(), result.edits.end(),
            [](const TextEdit& a, const TextEdit& b) { return a.begin < b.begin; });
  if (role == FileRole::LegacyDictCandidate && !looks_like_quant_cfg(*read.root)) {
    result.warnings.clear();
  }
  if (result.edits.empty()) return result;
  result.new_text = apply_edits(text, result.edits);
  const bool legacy_root = role == FileRole::LegacyDictCandidate;
  if ((options.verify || legacy_root) && !check_meaning(path, text, result, options, legacy_root)) {
    result.edits.clear();
    result.new_text = std::string(text);
    if (legacy_root) result.warnings.clear();
  }
  return result;
}

}  // namespace qcfg::migrations
