// Writes a Value as Python's `json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False)`
// would, so qcfg's JSON output can be compared byte for byte with ModelOpt's.
#pragma once

#include <string>
#include <string_view>

#include "compiler/value.h"

namespace qcfg {

struct JsonStyle {
  int indent = 2;         // < 0: compact one-line output with ", " and ": " separators
  bool sort_keys = true;  // by str(key), code point order
};

std::string to_json(const Value& v, const JsonStyle& style = {});

// `s` as a JSON string (quoted, escaped as to_json escapes it) appended to `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace qcfg
