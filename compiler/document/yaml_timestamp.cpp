// `!!timestamp`: PyYAML's timestamp regexp and datetime construction, with Python's repr of the
// resulting datetime.date / datetime.datetime (ModelOpt never accepts them; messages show them).
#include <fmt/format.h>

#include "compiler/diagnostic.h"
#include "compiler/document/yaml_scalar.h"

namespace qcfg::document {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Reads between `min` and `max` digits at `*i` into `*out`.
bool read_digits(std::string_view s, size_t* i, size_t min, size_t max, int* out) {
  size_t n = 0;
  int value = 0;
  while (n < max && *i + n < s.size() && is_digit(s[*i + n])) {
    value = value * 10 + (s[*i + n] - '0');
    ++n;
  }
  if (n < min) return false;
  *i += n;
  *out = value;
  return true;
}

bool eat(std::string_view s, size_t* i, char c) {
  if (*i >= s.size() || s[*i] != c) return false;
  ++*i;
  return true;
}

size_t eat_blanks(std::string_view s, size_t* i) {
  const size_t start = *i;
  while (*i < s.size() && (s[*i] == ' ' || s[*i] == '\t')) ++*i;
  return *i - start;
}

// `\.[0-9]*`: only the first six digits count, padded right (PyYAML's microseconds).
void read_fraction(std::string_view s, size_t* i, int* microsecond) {
  std::string digits;
  while (*i < s.size() && is_digit(s[*i])) digits += s[(*i)++];
  digits = digits.substr(0, 6);
  digits.resize(6, '0');
  *microsecond = std::stoi(digits);
}

// `[ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?)`, optional.
bool read_zone(std::string_view s, size_t* i, Timestamp* t) {
  const size_t start = *i;
  eat_blanks(s, i);
  if (eat(s, i, 'Z')) {
    t->has_zone = true;
    return true;
  }
  if (*i < s.size() && (s[*i] == '+' || s[*i] == '-')) {
    const bool negative = s[(*i)++] == '-';
    int hours = 0, minutes = 0;
    if (!read_digits(s, i, 1, 2, &hours)) return false;
    if (eat(s, i, ':') && !read_digits(s, i, 2, 2, &minutes)) return false;
    t->has_zone = true;
    t->zone_seconds = (negative ? -1 : 1) * (hours * 3600 + minutes * 60);
    return true;
  }
  *i = start;  // no zone: blanks alone are not part of the match
  return true;
}

bool read_time(std::string_view s, size_t* i, Timestamp* t) {
  if (!eat(s, i, 'T') && !eat(s, i, 't') && eat_blanks(s, i) == 0) return false;
  t->has_time = true;
  if (!read_digits(s, i, 1, 2, &t->hour) || !eat(s, i, ':') ||
      !read_digits(s, i, 2, 2, &t->minute) || !eat(s, i, ':') ||
      !read_digits(s, i, 2, 2, &t->second)) {
    return false;
  }
  if (eat(s, i, '.')) read_fraction(s, i, &t->microsecond);
  return read_zone(s, i, t);
}

bool is_leap(int year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[month - 1];
}

// Python's datetime range checks, with its messages.
std::string range_error(const Timestamp& t) {
  if (t.year < 1) return fmt::format("year {} is out of range", t.year);
  if (t.month < 1 || t.month > 12) return "month must be in 1..12";
  if (t.day < 1 || t.day > days_in_month(t.year, t.month)) return "day is out of range for month";
  if (!t.has_time) return "";
  if (t.hour > 23) return "hour must be in 0..23";
  if (t.minute > 59) return "minute must be in 0..59";
  if (t.second > 59) return "second must be in 0..59";
  if (t.zone_seconds <= -86400 || t.zone_seconds >= 86400) {
    return "offset must be a timedelta strictly between -timedelta(hours=24) and "
           "timedelta(hours=24)";
  }
  return "";
}

std::string zone_repr(int offset_seconds) {
  if (offset_seconds == 0) return "datetime.timezone.utc";
  // timedelta normalizes to days and 0 <= seconds < 86400.
  const std::string delta = offset_seconds > 0
                                ? fmt::format("seconds={}", offset_seconds)
                                : fmt::format("days=-1, seconds={}", 86400 + offset_seconds);
  return fmt::format("datetime.timezone(datetime.timedelta({}))", delta);
}

std::string datetime_repr(const Timestamp& t) {
  std::string out =
      fmt::format("datetime.datetime({}, {}, {}, {}, {}", t.year, t.month, t.day, t.hour, t.minute);
  if (t.second != 0 || t.microsecond != 0) out += fmt::format(", {}", t.second);
  if (t.microsecond != 0) out += fmt::format(", {}", t.microsecond);
  if (t.has_zone) out += ", tzinfo=" + zone_repr(t.zone_seconds);
  return out + ")";
}

}  // namespace

std::optional<Timestamp> parse_timestamp(std::string_view s) {
  Timestamp t;
  size_t i = 0;
  if (!read_digits(s, &i, 4, 4, &t.year) || !eat(s, &i, '-')) return std::nullopt;
  const size_t month_start = i;
  if (!read_digits(s, &i, 1, 2, &t.month) || !eat(s, &i, '-')) return std::nullopt;
  const size_t day_start = i;
  if (!read_digits(s, &i, 1, 2, &t.day)) return std::nullopt;
  t.short_date = day_start - month_start != 3 || i - day_start != 2;
  if (i < s.size() && !read_time(s, &i, &t)) return std::nullopt;
  if (i != s.size()) return std::nullopt;
  return t;
}

Value construct_timestamp(std::string_view text, SourceLocation loc) {
  const std::optional<Timestamp> t = parse_timestamp(text);
  if (!t) {
    throw CompileError(loc, fmt::format("'{}' is not a timestamp (YYYY-MM-DD[ HH:MM:SS])", text),
                       "yaml-constructor");
  }
  const std::string error = range_error(*t);
  if (!error.empty()) {
    throw CompileError(loc, fmt::format("invalid timestamp '{}': {}", text, error),
                       "yaml-constructor");
  }
  if (!t->has_time) {
    return Value::opaque("datetime.date",
                         fmt::format("datetime.date({}, {}, {})", t->year, t->month, t->day), loc);
  }
  return Value::opaque("datetime.datetime", datetime_repr(*t), loc);
}

}  // namespace qcfg::document
