// Fixes as data: a fix is a list of byte-range replacements, whoever computes it (a rule, or the
// migrator for legacy forms), applied whole or not at all.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/source.h"

namespace qcfg::lint {

// One replacement in one file: bytes [begin, end) become `replacement`.
struct TextEdit {
  const SourceFile* file = nullptr;
  size_t begin = 0;
  size_t end = 0;
  std::string replacement;
};

// A fix is applied whole or not at all.
struct Fix {
  std::string description;
  std::vector<TextEdit> edits;
};

// Computes the legacy-form migration of a whole file as a fix (nullopt: no safe migration).
// Injected by the command (the migrator is a sibling tool, not a stage the linter depends on).
using MigrateFix = std::function<std::optional<Fix>(const SourceFile& file)>;

}  // namespace qcfg::lint
