// Stage two of the YAML reader: a composed node graph -> qcfg::Value, as PyYAML's SafeConstructor
// builds Python objects (tags, merge keys, key rules; shared/spec/quant_cfg.md sections 2.3
// to 2.6).
#pragma once

#include <vector>

#include "compiler/document/reader.h"
#include "compiler/document/yaml_compose.h"
#include "compiler/value.h"

namespace qcfg::document {

// Throws CompileError ("yaml-constructor") where PyYAML's constructor raises. With `duplicates`,
// appends the keys written twice in a mapping (reader.h), one record each.
Value construct_document(const YamlNode& root, std::vector<DuplicateKey>* duplicates = nullptr);

}  // namespace qcfg::document
