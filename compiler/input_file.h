// Reading a whole user file into memory: the one place that applies a size limit to a text that
// diagnostics point into (configs, recipes, snippets, plans) before it is held, and that names
// the file in the error when it cannot be read. The loader, the linter, the migrator and the plan
// reader all read through it, so every command words and locates these errors the same way.
// Checkpoint-side files (index, config.json, amax, inventories) are read by
// checkpoint/bounded_file.h; both take limits and wording from compiler/file_limits.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/diagnostic.h"
#include "compiler/file_limits.h"
#include "compiler/source.h"

namespace qcfg {

// Reads `path` through `sources` (once per run), holding at most `max_bytes` + 1 bytes of it; a
// file whose size the provider knows is refused before any of it is read. Throws CompileError:
//
//   PATH: error: cannot read 'PATH': WHY [file-unreadable]
//   PATH: error: file is N bytes, over the size limit (limit MAX bytes; ADVICE) [input-limit]
//
// located at the file itself (its path, no line), or, for "cannot read", at `requested_at` when
// that is known (the import that named the file). `advice` says what to do about a large file.
const SourceFile* read_input_file(SourceManager& sources, const std::string& path, size_t max_bytes,
                                  std::string_view advice, SourceLocation requested_at = {});

}  // namespace qcfg
