// Writes a Value as Python's `json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False)`
// would, so qcfg's JSON output can be compared byte for byte with ModelOpt's.
#pragma once

#include <string>

#include "compiler/value.h"

namespace qcfg {

struct JsonStyle {
  int indent = 2;         // < 0: compact one-line output with ", " and ": " separators
  bool sort_keys = true;  // by str(key), code point order
};

std::string to_json(const Value& v, const JsonStyle& style = {});

}  // namespace qcfg
