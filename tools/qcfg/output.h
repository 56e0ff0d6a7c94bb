// Output helpers shared by the commands: diagnostics on stderr, atomic file writes.
#pragma once

#include <functional>
#include <ostream>
#include <string>

#include "compiler/diagnostic.h"

namespace qcfg::cli {

// Prints every diagnostic (text with source excerpt and caret) on stderr.
void print_diagnostics(const Diagnostics& diags);

// Writes `content` to `path` atomically: a temporary file in the same directory, fsynced, then a
// rename (and the directory fsynced). A symlink `path` (a chain too) writes its final target and
// stays a link; a dangling one is an error. On failure the original file is untouched and
// `error` says why.
bool write_file_atomically(const std::string& path, const std::string& content,
                           std::string* error);
// The same, with the content streamed by `write` (large outputs never held in memory).
bool write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write,
                           std::string* error);

}  // namespace qcfg::cli
