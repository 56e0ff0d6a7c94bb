// Test-only builders of qcfg::Value: from JSON text (nlohmann) and from small YAML texts
// (yaml-cpp, with the YAML 1.1 scalar typing and ExMy conversion the conformance cases need).
#pragma once

#include <string>

#include "compiler/value.h"

namespace qcfg::test {

Value from_json(const std::string& json_text);
// Plain scalars typed as PyYAML does for the common cases (null/bool/int/float/str); quoted
// scalars stay strings; ExMy strings under num_bits/scale_bits become (E, M) tuples.
Value from_yaml(const std::string& yaml_text);
std::string read_file(const std::string& path);

}  // namespace qcfg::test
