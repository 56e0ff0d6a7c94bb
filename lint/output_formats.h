// The output formats of `qcfg lint --format`, one row each. A new format is a renderer in
// emit.h, one row in output_formats.cpp and its golden report under tests/lint/goldens/
// (tests/lint/output_formats_test.cpp renders every row against its golden).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lint/linter.h"

namespace qcfg::lint {

struct OutputFormat {
  const char* name;  // the --format value and the golden's extension
  // The whole report; `base_dir` is what relative paths are relative to (SARIF's %SRCROOT%).
  std::string (*render)(const std::vector<FileResult>& files, const std::vector<const Rule*>& rules,
                        const std::string& base_dir);
};

// Every format, the default (text) first.
const std::vector<OutputFormat>& output_formats();
std::vector<std::string> output_format_names();
// nullptr when no format has that name.
const OutputFormat* find_output_format(std::string_view name);

}  // namespace qcfg::lint
