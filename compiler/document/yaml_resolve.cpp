// The implicit resolver, hand-written instead of std::regex: libstdc++'s regex recurses once per
// character and can overflow the stack on a long scalar; these matchers are linear and flat.
#include "compiler/document/yaml_scalar.h"

namespace qcfg::document {

namespace {

// A cursor over the scalar text with the few primitives the YAML 1.1 patterns need.
struct Cursor {
  std::string_view s;
  size_t i = 0;

  bool at_end() const { return i == s.size(); }
  char peek(size_t ahead = 0) const { return i + ahead < s.size() ? s[i + ahead] : '\0'; }
  bool eat(char c) {
    if (peek() != c || at_end()) return false;
    ++i;
    return true;
  }
  bool eat_sign() { return eat('-') || eat('+'); }
  // Consumes characters while `pred` holds; returns how many.
  template <typename Pred>
  size_t eat_while(Pred pred) {
    const size_t start = i;
    while (!at_end() && pred(s[i])) ++i;
    return i - start;
  }
  bool eat_word(std::string_view w) {
    if (s.substr(i, w.size()) != w) return false;
    i += w.size();
    return true;
  }
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_digit_(char c) { return is_digit(c) || c == '_'; }
bool is_octal_(char c) { return (c >= '0' && c <= '7') || c == '_'; }
bool is_binary_(char c) { return c == '0' || c == '1' || c == '_'; }
bool is_hex_(char c) { return is_digit_(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// `(:[0-5]?[0-9])+`; greedy is exact here since a digit may never follow a group.
bool eat_sexagesimal_groups(Cursor& c) {
  size_t groups = 0;
  while (c.peek() == ':' && is_digit(c.peek(1))) {
    c.i += 1;
    if (c.peek() <= '5' && is_digit(c.peek(1))) c.i += 1;
    c.i += 1;
    ++groups;
  }
  return groups > 0;
}

// `[eE][-+][0-9]+`, optional: false only for a malformed exponent.
bool eat_optional_exponent(Cursor& c) {
  if (c.peek() != 'e' && c.peek() != 'E') return true;
  ++c.i;
  return c.eat_sign() && c.eat_while(is_digit) > 0;
}

bool is_int(std::string_view s) {
  Cursor c{s};
  c.eat_sign();
  if (c.eat_word("0b")) return c.eat_while(is_binary_) > 0 && c.at_end();
  if (c.eat_word("0x")) return c.eat_while(is_hex_) > 0 && c.at_end();
  if (c.eat('0')) return c.at_end() || (c.eat_while(is_octal_) > 0 && c.at_end());
  if (c.peek() < '1' || c.peek() > '9') return false;
  c.eat_while(is_digit_);
  if (c.at_end()) return true;
  return eat_sexagesimal_groups(c) && c.at_end();
}

// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?`
bool is_decimal_float(std::string_view s) {
  Cursor c{s};
  c.eat_sign();
  if (!is_digit(c.peek())) return false;
  c.eat_while(is_digit_);
  if (!c.eat('.')) return false;
  c.eat_while(is_digit_);
  return eat_optional_exponent(c) && c.at_end();
}

// `\.[0-9][0-9_]*([eE][-+][0-9]+)?` (no sign: `-.5` is a string)
bool is_dot_float(std::string_view s) {
  Cursor c{s};
  if (!c.eat('.') || !is_digit(c.peek())) return false;
  c.eat_while(is_digit_);
  return eat_optional_exponent(c) && c.at_end();
}

// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`
bool is_sexagesimal_float(std::string_view s) {
  Cursor c{s};
  c.eat_sign();
  if (!is_digit(c.peek())) return false;
  c.eat_while(is_digit_);
  if (!eat_sexagesimal_groups(c) || !c.eat('.')) return false;
  c.eat_while(is_digit_);
  return c.at_end();
}

bool is_special_float(std::string_view s) {
  std::string_view body = s;
  if (!body.empty() && (body[0] == '-' || body[0] == '+')) body.remove_prefix(1);
  if (body == ".inf" || body == ".Inf" || body == ".INF") return true;
  return s == ".nan" || s == ".NaN" || s == ".NAN";
}

bool is_float(std::string_view s) {
  return is_decimal_float(s) || is_dot_float(s) || is_sexagesimal_float(s) || is_special_float(s);
}

bool is_bool(std::string_view s) {
  for (std::string_view w : {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false",
                             "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF"}) {
    if (s == w) return true;
  }
  return false;
}

bool is_null(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

// The implicit regexp is stricter than the construction one: a date alone needs two-digit
// month and day (`2024-1-5` is a string, `2024-1-5 1:02:03` a datetime).
bool is_timestamp(std::string_view s) {
  const std::optional<Timestamp> t = parse_timestamp(s);
  return t && (t->has_time || !t->short_date);
}

}  // namespace

PlainType resolve_plain(std::string_view text) {
  if (is_null(text)) return PlainType::Null;
  if (is_bool(text)) return PlainType::Bool;
  if (is_int(text)) return PlainType::Int;
  if (is_float(text)) return PlainType::Float;
  if (is_timestamp(text)) return PlainType::Timestamp;
  if (text == "<<") return PlainType::Merge;
  if (text == "=") return PlainType::Value;
  return PlainType::Str;
}

}  // namespace qcfg::document
