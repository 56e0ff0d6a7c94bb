// Constructors of the core scalar tags, following PyYAML's SafeConstructor step by step (strip
// `_`, take the sign, pick the base by prefix, then Python's int()/float()), so that explicit
// tags such as `!!int ' 12 '` or `!!float 1e3` behave as in Python too.
#include "compiler/document/yaml_scalar.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/document/big_int.h"

namespace qcfg::document {

namespace {

[[noreturn]] void fail(SourceLocation loc, std::string message) {
  throw CompileError(loc, std::move(message), "yaml-constructor");
}

std::string without_underscores(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c != '_') out += c;
  }
  return out;
}

// Takes a leading sign off `value` as PyYAML does (only one; Python's int() may see another).
bool take_sign(std::string* value) {
  const bool negative = (*value)[0] == '-';
  if ((*value)[0] == '-' || (*value)[0] == '+') value->erase(0, 1);
  return negative;
}

ParsedInt parse_or_fail(std::string_view text, int base, SourceLocation loc) {
  std::string error;
  std::optional<ParsedInt> parsed = python_int(text, base, &error);
  if (!parsed) fail(loc, error);
  return std::move(*parsed);
}

// `1:30` = 1*60 + 30. Parts are read by Python's int(); signed parts are not supported.
BigNat sexagesimal(const std::string& value, SourceLocation loc) {
  BigNat total;
  size_t start = 0;
  while (true) {
    const size_t colon = value.find(':', start);
    const std::string part = value.substr(start, colon - start);
    ParsedInt digit = parse_or_fail(part, 10, loc);
    if (digit.negative) fail(loc, fmt::format("signed base-60 part '{}' is not supported", part));
    total.multiply_add(60, 0);
    total.add(digit.magnitude);
    if (colon == std::string::npos) return total;
    start = colon + 1;
  }
}

Value construct_int(std::string_view text, SourceLocation loc) {
  std::string value = without_underscores(text);
  if (value.empty()) fail(loc, "an empty scalar is not an integer");
  const bool negative = take_sign(&value);
  ParsedInt parsed;
  if (value == "0") return Value::integer(0, loc);
  if (value.rfind("0b", 0) == 0) {
    parsed = parse_or_fail(value.substr(2), 2, loc);
  } else if (value.rfind("0x", 0) == 0) {
    parsed = parse_or_fail(value.substr(2), 16, loc);
  } else if (!value.empty() && value[0] == '0') {
    parsed = parse_or_fail(value, 8, loc);
  } else if (value.find(':') != std::string::npos) {
    parsed.magnitude = sexagesimal(value, loc);
  } else {
    parsed = parse_or_fail(value, 10, loc);
  }
  return make_integer(negative != parsed.negative, parsed.magnitude, loc);
}

bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// Python's float() on ASCII text (underscores already gone): decimal literals with an optional
// exponent, inf/infinity/nan in any case, surrounding whitespace.
std::optional<double> python_float(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  std::string body(text);
  const bool negative = !body.empty() && body[0] == '-';
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.erase(0, 1);
  std::string lower;
  for (char c : body) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "inf" || lower == "infinity") return negative ? -INFINITY : INFINITY;
  if (lower == "nan") return NAN;
  const size_t e = lower.find('e');
  const std::string mantissa = lower.substr(0, e);
  const size_t dot = mantissa.find('.');
  const std::string whole = mantissa.substr(0, dot);
  const std::string frac = dot == std::string::npos ? "" : mantissa.substr(dot + 1);
  const bool whole_ok = whole.empty() || is_digits(whole);
  const bool frac_ok = frac.empty() || is_digits(frac);
  if (!whole_ok || !frac_ok || (whole.empty() && frac.empty())) return std::nullopt;
  if (e != std::string::npos) {
    std::string_view exponent = std::string_view(lower).substr(e + 1);
    if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.remove_prefix(1);
    if (!is_digits(exponent)) return std::nullopt;
  }
  // strtod, not from_chars: it also rounds overflow to inf and underflow to 0 as Python does.
  const double magnitude = std::strtod(lower.c_str(), nullptr);
  return negative ? -magnitude : magnitude;
}

double float_or_fail(std::string_view text, SourceLocation loc) {
  std::optional<double> v = python_float(text);
  if (!v) fail(loc, fmt::format("could not convert string to float: '{}'", text));
  return *v;
}

Value construct_float(std::string_view text, SourceLocation loc) {
  std::string value;
  for (char c : without_underscores(text)) {
    value += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (value.empty()) fail(loc, "an empty scalar is not a float");
  const double sign = take_sign(&value) ? -1.0 : 1.0;
  if (value == ".inf") return Value::real(sign * INFINITY, loc);
  if (value == ".nan") return Value::real(NAN, loc);
  if (value.find(':') == std::string::npos)
    return Value::real(sign * float_or_fail(value, loc), loc);
  // Base 60, least significant part first, in PyYAML's order of float operations.
  std::vector<std::string> parts;
  for (size_t start = 0;;) {
    const size_t colon = value.find(':', start);
    parts.push_back(value.substr(start, colon - start));
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  double total = 0.0, base = 1.0;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    total += float_or_fail(*it, loc) * base;
    base *= 60;
  }
  return Value::real(sign * total, loc);
}

Value construct_bool(std::string_view text, SourceLocation loc) {
  std::string lower;
  for (char c : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "yes" || lower == "true" || lower == "on") return Value::boolean(true, loc);
  if (lower == "no" || lower == "false" || lower == "off") return Value::boolean(false, loc);
  fail(loc, fmt::format("'{}' is not a YAML boolean (yes/no, true/false, on/off)", text));
}

int base64_digit(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// base64.decodebytes: characters outside the alphabet are skipped, padding ends the data.
Value construct_binary(std::string_view text, SourceLocation loc) {
  std::string bytes;
  uint32_t quad = 0;
  size_t in_quad = 0, data_chars = 0;
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) fail(loc, "!!binary data must be ASCII base64");
    if (c == '=' && in_quad >= 2) break;
    const int d = base64_digit(c);
    if (d < 0) continue;
    ++data_chars;
    quad = (quad << 6) | static_cast<uint32_t>(d);
    if (++in_quad == 4) {
      bytes += static_cast<char>(quad >> 16), bytes += static_cast<char>(quad >> 8);
      bytes += static_cast<char>(quad);
      quad = 0, in_quad = 0;
    }
  }
  if (in_quad == 1) {
    fail(loc, fmt::format("failed to decode base64 data: Invalid base64-encoded string: number of "
                          "data characters ({}) cannot be 1 more than a multiple of 4",
                          data_chars));
  }
  const bool padded = text.find('=') != std::string_view::npos;
  if (in_quad > 1 && !padded) fail(loc, "failed to decode base64 data: Incorrect padding");
  if (in_quad == 2) bytes += static_cast<char>(quad >> 4);
  if (in_quad == 3) bytes += static_cast<char>(quad >> 10), bytes += static_cast<char>(quad >> 2);
  return Value::opaque("bytes", python_bytes_repr(bytes), loc);
}

}  // namespace

std::string python_bytes_repr(std::string_view bytes) {
  const bool has_single = bytes.find('\'') != std::string_view::npos;
  const bool has_double = bytes.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out = "b";
  out += quote;
  for (unsigned char c : bytes) {
    if (c == '\\' || c == static_cast<unsigned char>(quote)) {
      out += '\\', out += static_cast<char>(c);
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c >= 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + quote;
}

std::optional<Value> construct_core_scalar(std::string_view name, std::string_view text,
                                           SourceLocation loc) {
  if (name == "str") return Value::string(std::string(text), loc);
  if (name == "null") return Value::null(loc);
  if (name == "bool") return construct_bool(text, loc);
  if (name == "int") return construct_int(text, loc);
  if (name == "float") return construct_float(text, loc);
  if (name == "timestamp") return construct_timestamp(text, loc);
  if (name == "binary") return construct_binary(text, loc);
  return std::nullopt;
}

}  // namespace qcfg::document
