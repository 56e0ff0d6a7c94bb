// What a lint rule sees of one file: its text, its raw documents (as written, before imports and
// normalization), the loaded and validated quantize configs (entries with source locations, after
// import expansion), and, with a model, each config resolved against the model's quantizers.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/document/reader.h"
#include "compiler/source.h"
#include "compiler/value.h"
#include "driver/pipeline.h"
#include "lint/edit.h"
#include "resolver/inventory.h"
#include "resolver/resolve.h"
#include "schema/entry.h"

namespace qcfg::lint {

// A `quant_cfg` value as written in this file: a list of entries or a legacy flat mapping.
struct RawQuantCfg {
  const Value* value = nullptr;
  std::string where;          // "quant_cfg", "quantize.quant_cfg", "$" (the whole file), ...
  bool single_entry = false;  // an entry snippet: `value` is one entry mapping
};

// One entry as written: a list item, or one `key: value` pair of a legacy flat mapping.
struct RawEntryRef {
  const Value* item = nullptr;     // the list item (a mapping for a new-format entry)
  const MapEntry* pair = nullptr;  // legacy flat mapping: the pair
  bool is_new_format() const { return item && item->is_map() && item->has("quantizer_name"); }
  SourceLocation loc() const { return pair ? pair->key.loc() : item->loc(); }
};

// One validated list of entries the file is or contains.
struct ConfigUnderLint {
  std::string where;  // "$", "quantize", "auto_quantize.kv_cache", "entries" (snippets)
  const std::vector<QuantizerEntry>* entries = nullptr;
  const QuantizeConfig* config = nullptr;  // null for entry and entry-list snippets
  // A building block meant to be combined with others (snippet files, auto_quantize kv_cache):
  // rules about a complete configuration (deny-all base, quantizers left at defaults) skip it.
  bool partial = false;
  const resolver::Resolution* resolution = nullptr;  // with a model only
};

struct LintContext {
  const SourceFile* file = nullptr;  // null when the file could not be read
  bool is_json = false;
  std::vector<Value> documents;              // raw documents; empty when the file does not parse
  std::vector<DuplicateKey> duplicate_keys;  // keys written twice in this file's mappings
  std::vector<RawQuantCfg> raw_quant_cfgs;
  std::optional<LoadedFile> loaded;          // null when ModelOpt would reject the file
  std::vector<Diagnostic> load_diagnostics;  // errors and warnings of loading
  std::vector<ConfigUnderLint> configs;
  const resolver::Inventory* inventory = nullptr;
  std::vector<std::string> targets;              // serving engines (--target); empty: none named
  std::deque<resolver::Resolution> resolutions;  // owned; configs point into it
  MigrateFix migrate_fix;                        // may be empty: legacy forms then get no fix

  bool in_this_file(const SourceLocation& loc) const { return file && loc.file == file; }
};

}  // namespace qcfg::lint
