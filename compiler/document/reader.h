// The document front end: reads YAML and JSON files into qcfg's value tree exactly as ModelOpt's
// Python reads them (PyYAML `safe_load_all`, YAML 1.1 typing; Python `json.loads`), with the
// source location of every node. Semantics: shared/spec/quant_cfg.md sections 1.5 and 2.
#pragma once

#include <cstddef>
#include <vector>

#include "compiler/source.h"
#include "compiler/value.h"

namespace qcfg {

// Bounds that keep a hostile or broken file from exhausting memory or the stack.
struct ReadLimits {
  size_t max_depth = 512;        // nesting of lists/mappings, after alias expansion
  size_t max_nodes = 1'000'000;  // values in a document, after alias expansion
  size_t max_bytes = 64u << 20;  // size of the file
};

// All documents of a YAML stream, as PyYAML `safe_load_all` yields them: an empty stream (or
// comments only) gives 0 documents, a lone `---` one null document. Throws CompileError located
// at file:line:col with rule "yaml-encoding" (not UTF-8, or a character YAML forbids),
// "yaml-syntax", "yaml-constructor" (unknown tag, unhashable key, the `=` value scalar, bad
// merge, invalid date...), "yaml-alias" (cyclic, undefined or duplicate anchors) or "yaml-limit".
std::vector<Value> read_yaml_documents(const SourceFile& file, const ReadLimits& limits = {});

// A JSON document exactly as Python `json.loads` reads it: NaN/Infinity/-Infinity accepted,
// duplicate keys keep the last value at the first position, integers exact at any size, other
// numbers as double. Throws CompileError with rule "json-encoding", "json-syntax" or "json-limit".
Value read_json(const SourceFile& file, const ReadLimits& limits = {});

}  // namespace qcfg
