// YAML 1.1 scalars as PyYAML's SafeLoader types them: the implicit resolver for plain scalars
// (shared/spec/quant_cfg.md section 2.2) and the constructors of the core tags (section 2.6).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "compiler/source.h"
#include "compiler/value.h"

namespace qcfg::document {

// The tag PyYAML's resolver gives a plain scalar. Merge (`<<`) and Value (`=`) only mean
// something as mapping keys; anywhere else they have no constructor.
enum class PlainType { Null, Bool, Int, Float, Timestamp, Merge, Value, Str };

PlainType resolve_plain(std::string_view text);

// A timestamp's fields, as PyYAML's timestamp regexp splits them.
struct Timestamp {
  int year = 0, month = 0, day = 0;
  bool has_time = false;
  int hour = 0, minute = 0, second = 0, microsecond = 0;
  bool has_zone = false;
  int zone_seconds = 0;     // offset east of UTC
  bool short_date = false;  // month or day written with one digit
};

// PyYAML's construction regexp (also accepts one-digit month/day without a time).
std::optional<Timestamp> parse_timestamp(std::string_view text);

// `!!timestamp`: datetime.date / datetime.datetime opaque values with Python's repr.
Value construct_timestamp(std::string_view text, SourceLocation loc);

// Builds the value of scalar `text` under core tag `name` ("str", "int", "float", "bool", "null",
// "timestamp", "binary"), or nullopt when `name` is none of them. Throws CompileError
// ("yaml-constructor", at `loc`) where PyYAML's constructor raises.
std::optional<Value> construct_core_scalar(std::string_view name, std::string_view text,
                                           SourceLocation loc);

// Python's repr of a bytes object.
std::string python_bytes_repr(std::string_view bytes);

}  // namespace qcfg::document
