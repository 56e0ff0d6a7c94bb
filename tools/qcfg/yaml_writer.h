// Renders a Value as block-style YAML (for `--format yaml`), quoting strings that a YAML 1.1
// reader would otherwise type differently.
#pragma once

#include <string>

#include "compiler/value.h"

namespace qcfg::cli {

std::string to_yaml(const Value& v);

}  // namespace qcfg::cli
