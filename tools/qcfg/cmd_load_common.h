// What `qcfg normalize`, `qcfg load-recipe` and `qcfg check` share: the load options every
// command that loads a file takes, and printing a loaded file.
#pragma once

#include <string>

#include "driver/pipeline.h"
#include "tools/qcfg/cli.h"

namespace qcfg::cli {

// --recipe-root and --allow-outside-root, reading as `mode`.
LoadOptions load_options(const Args& args, ReadMode mode);

// Loads `path` and prints its rendered form (--format json|yaml) on stdout, the diagnostics on
// stderr; kExitOk or kExitInvalid.
int print_loaded(const std::string& path, const Args& args, ReadMode mode);

// The one positional FILE; a UsageError otherwise.
std::string one_file(const Args& args);

}  // namespace qcfg::cli
