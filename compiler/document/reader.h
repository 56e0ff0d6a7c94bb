// The document front end: reads YAML and JSON files into qcfg's value tree exactly as ModelOpt's
// Python reads them (PyYAML `safe_load_all`, YAML 1.1 typing; Python `json.loads`), with the
// source location of every node. Semantics: shared/spec/quant_cfg.md sections 1.5 and 2.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "compiler/file_limits.h"
#include "compiler/source.h"
#include "compiler/value.h"

namespace qcfg {

// Bounds that keep a hostile or broken file from exhausting memory or the stack.
struct ReadLimits {
  size_t max_depth = 512;              // nesting of lists/mappings, after alias expansion
  size_t max_nodes = 1'000'000;        // values in a document, after alias expansion
  size_t max_bytes = kMaxConfigBytes;  // size of the file (compiler/input_file.h)
};

// A key written twice among one mapping's own pairs (not keys brought in by a YAML `<<` merge),
// equal as Python compares dict keys. The dict keeps the later value, so the earlier one is dead.
struct DuplicateKey {
  std::string key;         // the text of a str key, else its Python repr
  SourceLocation earlier;  // the previous occurrence of the key in the mapping
  SourceLocation later;
};

// All documents of a YAML stream, as PyYAML `safe_load_all` yields them: an empty stream (or
// comments only) gives 0 documents, a lone `---` one null document. Throws CompileError located
// at file:line:col with rule "yaml-encoding" (not UTF-8, or a character YAML forbids),
// "yaml-syntax", "yaml-constructor" (unknown tag, unhashable key, the `=` value scalar, bad
// merge, invalid date...), "yaml-alias" (cyclic, undefined or duplicate anchors) or "yaml-limit".
// With `duplicates`, appends every key written twice in a mapping (once per mapping as written,
// even when an alias repeats it).
std::vector<Value> read_yaml_documents(const SourceFile& file, const ReadLimits& limits = {},
                                       std::vector<DuplicateKey>* duplicates = nullptr);

// A JSON document exactly as Python `json.loads` reads it: NaN/Infinity/-Infinity accepted,
// duplicate keys keep the last value at the first position, integers exact at any size, other
// numbers as double. Throws CompileError with rule "json-encoding", "json-syntax" or "json-limit".
// With `duplicates`, appends every key written twice in an object.
Value read_json(const SourceFile& file, const ReadLimits& limits = {},
                std::vector<DuplicateKey>* duplicates = nullptr);

// The one JSON value that starts at byte `offset` of `file` (which is at `at`, line and column),
// with read_json's semantics and positions: fast readers (runtime/plan_fast.cpp) hand it the
// parts of a document they do not read themselves. The file's encoding is not checked here.
Value read_json_value_at(const SourceFile& file, size_t offset, SourceLocation at,
                         const ReadLimits& limits = {});

}  // namespace qcfg
