// Reading a whole checkpoint-side file (the shard index, config.json, an --act-amax file, a JSON
// inventory) into memory, bounded: a FIFO or device named by mistake would block or never end, and
// a file far above its kind's size is the wrong file. The one such reader: the resolver, the
// linter (through the resolver) and the runtime call it. Config, recipe and plan texts, which
// diagnostics point into, go through compiler/input_file.h instead; both word a file over its
// limit the same way (size_limit_message) and take their limits from that header's one table.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/file_limits.h"

namespace qcfg::checkpoint {

// The text of `path`: a regular file of at most `max_bytes` (size checked before anything is
// read). Throws LocatedError(path, ...): "does not exist", "not a regular file", "cannot read
// file: WHY", or "file is N bytes, over the size limit (limit MAX bytes; ADVICE)".
std::string read_bounded_file(const std::string& path, uint64_t max_bytes,
                              std::string_view advice = kCheckpointJsonAdvice);

}  // namespace qcfg::checkpoint
