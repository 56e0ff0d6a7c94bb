// The legacy-config migrator as a library: rewrites legacy `quant_cfg` forms (flat dict, list of
// one-key dicts, `nn.*`-scoped dicts, the `default` key), the `ptq_cfg` recipe section and the
// `quantizer_path` spelling into the canonical list form, editing the source text in place so
// that comments, key order and formatting outside the rewritten nodes stay byte for byte.
// Used by `qcfg migrate` and by the linter's legacy-format fix.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/source.h"

namespace qcfg::migrations {

struct MigrateOptions {
  // Where imports are looked up when the migrated text is checked against the original
  // (driver::load_file): empty recipe_root means the nearest `modelopt_recipes` ancestor.
  std::string recipe_root;
  std::string cwd = ".";
  // Let imports resolve outside `cwd` and the recipe root (`--allow-outside-root`; refused by
  // default, as for every command: docs/reliability.md).
  bool allow_outside_root = false;
  // Normalize the original and the migrated text and warn where they differ.
  bool verify = true;
};

// One rewrite: replace bytes [begin, end) of the original text by `replacement`.
struct TextEdit {
  size_t begin = 0;
  size_t end = 0;
  std::string replacement;
  SourceLocation loc;   // the node rewritten, in the original text
  std::string rule_id;  // legacy-quant-cfg, quantizer-path-spelling, ptq-cfg-section
  std::string summary;  // one line: what the edit does
};

struct MigrateResult {
  std::string new_text;
  std::vector<TextEdit> edits;       // in text order, not overlapping
  std::vector<Diagnostic> warnings;  // located in the original text (severity Warning)
  bool changed() const { return !edits.empty(); }
};

// Migrates `text`, the content of `path` (the path names the file in diagnostics, picks YAML or
// JSON by its suffix, and is where imports are resolved from for the check). The original text
// is added to `sources`, which owns the file every location refers to. Throws CompileError when
// the text does not parse. Idempotent: migrating new_text again changes nothing.
MigrateResult migrate_text(const std::string& path, std::string_view text, SourceManager& sources,
                           const MigrateOptions& options = {});

// Applies `edits` (in text order, not overlapping) to `text`.
std::string apply_edits(std::string_view text, const std::vector<TextEdit>& edits);

// Rule ids of the migrator's warnings.
inline constexpr const char* kRuleDefaultPosition = "legacy-default-not-first";
inline constexpr const char* kRuleNotMigrated = "migrate-skipped";
inline constexpr const char* kRuleMeaningChanged = "migrate-meaning-changed";
inline constexpr const char* kRuleOriginalInvalid = "migrate-original-invalid";
inline constexpr const char* kRuleSequentialEnable = "cfg-enable-ignored";

}  // namespace qcfg::migrations
