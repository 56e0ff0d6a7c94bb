// Suppression comments: `# qcfg: ignore[QC005]` (ids or names, comma-separated) on the line of
// a finding or of its entry, or on the line right before either.
#pragma once

#include <string>
#include <string_view>

#include "compiler/source.h"

namespace qcfg::lint {

// True when `line` of `file` (1-based), or the line before it, carries a suppression comment
// naming `id` or `name`.
bool suppressed_at(const SourceFile& file, uint32_t line, std::string_view id,
                   std::string_view name);

}  // namespace qcfg::lint
