#include "schema/coerce.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

namespace qcfg {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string strip(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\n\r\f\v");
  return s.substr(b, e - b + 1);
}

// Optional sign then digits (underscores between digits allowed, as Python int() does).
bool is_int_text(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
  if (i >= s.size()) return false;
  bool prev_digit = false;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      prev_digit = true;
    } else if (s[i] == '_' && prev_digit && i + 1 < s.size()) {
      prev_digit = false;
    } else {
      return false;
    }
  }
  return prev_digit;
}

Value int_from_text(std::string s, SourceLocation loc) {
  s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
  if (s[0] == '+') s.erase(0, 1);
  std::string digits = s[0] == '-' ? s.substr(1) : s;
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  std::string canonical = (s[0] == '-' && digits != "0" ? "-" : "") + digits;
  if (canonical.size() < 19) return Value::integer(std::stoll(canonical), loc);
  return Value::big_integer(canonical, loc);
}

std::optional<double> float_from_text(const std::string& raw) {
  std::string s = lower(strip(raw));
  if (s.empty()) return std::nullopt;
  std::string body = (s[0] == '+' || s[0] == '-') ? s.substr(1) : s;
  double sign = s[0] == '-' ? -1.0 : 1.0;
  if (body == "inf" || body == "infinity") return sign * INFINITY;
  if (body == "nan") return NAN;
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return std::nullopt;
  if (body.find_first_of("x") != std::string::npos) return std::nullopt;  // no hex floats
  return d;
}

}  // namespace

std::string got(const Value& v) { return fmt::format("got {} {}", v.python_type(), v.repr()); }

std::optional<Value> try_lax_bool(const Value& v) {
  if (v.is_bool()) return v;
  if (v.is_int() && !v.is_big_int() && (v.as_int() == 0 || v.as_int() == 1)) {
    return Value::boolean(v.as_int() == 1, v.loc());
  }
  if (v.is_float() && (v.as_float() == 0.0 || v.as_float() == 1.0)) {
    return Value::boolean(v.as_float() == 1.0, v.loc());
  }
  if (v.is_string()) {
    std::string s = lower(strip(v.as_string()));
    if (s == "0" || s == "off" || s == "f" || s == "false" || s == "n" || s == "no") {
      return Value::boolean(false, v.loc());
    }
    if (s == "1" || s == "on" || s == "t" || s == "true" || s == "y" || s == "yes") {
      return Value::boolean(true, v.loc());
    }
  }
  return std::nullopt;
}

std::optional<Value> try_lax_int(const Value& v) {
  if (v.is_int()) return v;
  if (v.is_bool()) return Value::integer(v.as_bool() ? 1 : 0, v.loc());
  if (v.is_float()) {
    double d = v.as_float();
    if (!std::isfinite(d) || d != std::floor(d) || std::fabs(d) > 9.2e18) return std::nullopt;
    return Value::integer(static_cast<int64_t>(d), v.loc());
  }
  if (v.is_string()) {
    std::string s = strip(v.as_string());
    if (is_int_text(s)) return int_from_text(s, v.loc());
    // pydantic also accepts an integral decimal such as "8.0".
    if (auto d = float_from_text(s);
        d && std::isfinite(*d) && *d == std::floor(*d) && std::fabs(*d) < 9.2e18) {
      return Value::integer(static_cast<int64_t>(*d), v.loc());
    }
  }
  return std::nullopt;
}

std::optional<Value> try_lax_float(const Value& v) {
  if (v.is_float()) return v;
  if (v.is_bool()) return Value::real(v.as_bool() ? 1.0 : 0.0, v.loc());
  if (v.is_int()) return Value::real(std::strtod(v.int_text().c_str(), nullptr), v.loc());
  if (v.is_string()) {
    if (auto d = float_from_text(v.as_string())) return Value::real(*d, v.loc());
  }
  return std::nullopt;
}

std::optional<Value> lax_bool(const Value& v, ValidationContext& ctx) {
  if (auto r = try_lax_bool(v)) return r;
  ctx.error(v.loc(),
            fmt::format("Input should be a valid boolean (true/false, 0/1, or one of the strings "
                        "yes/no/on/off/true/false/t/f/y/n), {}",
                        got(v)),
            kRuleSchemaType);
  return std::nullopt;
}

std::optional<Value> lax_int(const Value& v, ValidationContext& ctx) {
  if (auto r = try_lax_int(v)) return r;
  ctx.error(v.loc(),
            fmt::format("Input should be a valid integer (an int, a bool, an integral float or "
                        "a numeric string), {}",
                        got(v)),
            kRuleSchemaType);
  return std::nullopt;
}

std::optional<Value> lax_float(const Value& v, ValidationContext& ctx) {
  if (auto r = try_lax_float(v)) return r;
  ctx.error(v.loc(), fmt::format("Input should be a valid number, {}", got(v)), kRuleSchemaType);
  return std::nullopt;
}

std::optional<Value> strict_str(const Value& v, ValidationContext& ctx) {
  if (v.is_string()) return v;
  ctx.error(v.loc(),
            fmt::format("Input should be a valid string (numbers are not converted), {}", got(v)),
            kRuleSchemaType);
  return std::nullopt;
}

std::optional<Value> try_int_tuple(const Value& v, size_t arity) {
  if (!v.is_list()) return std::nullopt;
  if (arity != 0 && v.items().size() != arity) return std::nullopt;
  Value out = Value::tuple(v.loc());
  for (const Value& item : v.items()) {
    auto i = try_lax_int(item);
    if (!i) return std::nullopt;
    out.push_back(*i);
  }
  return out;
}

std::optional<Value> int_tuple(const Value& v, size_t arity, ValidationContext& ctx) {
  if (!v.is_list()) {
    ctx.error(v.loc(), fmt::format("Input should be a valid list/tuple of integers, {}", got(v)),
              kRuleSchemaType);
    return std::nullopt;
  }
  if (arity != 0 && v.items().size() != arity) {
    ctx.error(v.loc(),
              fmt::format("Tuple should have exactly {} items, got {}", arity, v.items().size()),
              kRuleSchemaType);
    return std::nullopt;
  }
  Value out = Value::tuple(v.loc());
  bool ok = true;
  for (size_t i = 0; i < v.items().size(); ++i) {
    auto scope = ctx.enter(fmt::format("[{}]", i), v.items()[i].loc());
    auto item = lax_int(v.items()[i], ctx);
    if (item) out.push_back(*item);
    ok = ok && item.has_value();
  }
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace qcfg
