// Applying fixes (lists of byte-range edits) to file texts, and showing them as a unified diff.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "lint/rule.h"

namespace qcfg::lint {

// Byte offset of a 1-based line and column in `file` (clamped to the text).
size_t offset_of(const SourceFile& file, uint32_t line, uint32_t column);

struct FixedFile {
  std::string text;    // the text with every applicable fix applied
  size_t applied = 0;  // fixes applied
  size_t skipped = 0;  // fixes left out because they overlap an earlier one
};

// Applies the fixes of `findings` file by file; a fix whose edits overlap an already applied one
// is skipped whole (run again to apply it).
std::map<const SourceFile*, FixedFile> apply_fixes(const std::vector<Finding>& findings);

}  // namespace qcfg::lint
