// The migrator's safety net: normalize a text through the one pipeline (driver::load_file) and
// compare what two texts mean, entry by entry, as ModelOpt would apply them.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/diagnostic.h"
#include "compiler/source.h"
#include "driver/pipeline.h"
#include "migrations/migrate.h"

namespace qcfg::migrations {

struct NormalizedText {
  std::unique_ptr<SourceManager> sources;  // owns the locations in `file` and `diags`
  std::optional<LoadedFile> file;          // nullopt when the text does not load
  Diagnostics diags;
};

// Loads `text` as the content of `path` (imports resolved as for that path).
NormalizedText normalize_text(const std::string& path, std::string_view text,
                              const MigrateOptions& options);

// The first difference in meaning (quantize configs, their entries, algorithm, effective_bits,
// entry snippets) between two loaded files, described for a person; nullopt when they agree.
std::optional<std::string> first_difference(const LoadedFile& before, const LoadedFile& after);

}  // namespace qcfg::migrations
