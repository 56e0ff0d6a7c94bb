#include "compiler/value.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace qcfg {

Value Value::null(SourceLocation loc) {
  Value v;
  v.loc_ = loc;
  return v;
}

Value Value::boolean(bool b, SourceLocation loc) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  v.int_ = b ? 1 : 0;
  v.float_ = b ? 1.0 : 0.0;
  v.loc_ = loc;
  return v;
}

Value Value::integer(int64_t i, SourceLocation loc) {
  Value v;
  v.kind_ = Kind::Int;
  v.int_ = i;
  v.float_ = static_cast<double>(i);
  v.loc_ = loc;
  return v;
}

Value Value::big_integer(std::string digits, SourceLocation loc) {
  Value v;
  v.kind_ = Kind::Int;
  const bool negative = !digits.empty() && digits[0] == '-';
  v.int_ = negative ? INT64_MIN : INT64_MAX;
  v.float_ = std::strtod(digits.c_str(), nullptr);
  v.text_ = std::move(digits);
  v.loc_ = loc;
  return v;
}

Value Value::real(double d, SourceLocation loc) {
  Value v;
  v.kind_ = Kind::Float;
  v.float_ = d;
  v.loc_ = loc;
  return v;
}

Value Value::string(std::string s, SourceLocation loc) {
  Value v;
  v.kind_ = Kind::String;
  v.text_ = std::move(s);
  v.loc_ = loc;
  return v;
}

Value Value::list(SourceLocation loc) {
  Value v;
  v.kind_ = Kind::List;
  v.loc_ = loc;
  return v;
}

Value Value::tuple(SourceLocation loc) {
  Value v = list(loc);
  v.tuple_ = true;
  return v;
}

Value Value::map(SourceLocation loc) {
  Value v;
  v.kind_ = Kind::Map;
  v.loc_ = loc;
  return v;
}

Value Value::opaque(std::string type_name, std::string text, SourceLocation loc) {
  Value v;
  v.kind_ = Kind::Opaque;
  v.text_ = std::move(type_name);
  v.opaque_text_ = std::move(text);
  v.loc_ = loc;
  return v;
}

std::string Value::int_text() const {
  if (!text_.empty()) return text_;
  return std::to_string(int_);
}

size_t Value::size() const {
  if (kind_ == Kind::List) return items_.size();
  if (kind_ == Kind::Map) return entries_.size();
  return 0;
}

const MapEntry* Value::find_entry(std::string_view key) const {
  if (kind_ != Kind::Map) return nullptr;
  for (const MapEntry& e : entries_) {
    if (e.key.is_string() && e.key.as_string() == key) return &e;
  }
  return nullptr;
}

const Value* Value::find(std::string_view key) const {
  const MapEntry* e = find_entry(key);
  return e ? &e->value : nullptr;
}

Value* Value::find(std::string_view key) {
  return const_cast<Value*>(static_cast<const Value*>(this)->find(key));
}

void Value::insert(Value key, Value value) {
  for (MapEntry& e : entries_) {
    if (python_equal(e.key, key)) {
      e.value = std::move(value);  // last value, first position (Python dict)
      return;
    }
  }
  entries_.push_back(MapEntry{std::move(key), std::move(value)});
}

void Value::set(std::string_view key, Value value) {
  SourceLocation key_loc = value.loc();
  insert(Value::string(std::string(key), key_loc), std::move(value));
}

bool Value::erase(std::string_view key) {
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key.is_string() && it->key.as_string() == key) {
      entries_.erase(it);
      return true;
    }
  }
  return false;
}

bool Value::truthy() const {
  switch (kind_) {
    case Kind::Null:
      return false;
    case Kind::Bool:
      return bool_;
    case Kind::Int:
      return !text_.empty() || int_ != 0;
    case Kind::Float:
      return float_ != 0.0;
    case Kind::String:
      return !text_.empty();
    case Kind::List:
      return !items_.empty();
    case Kind::Map:
      return !entries_.empty();
    case Kind::Opaque:
      return true;
  }
  return true;
}

std::string Value::python_type() const {
  switch (kind_) {
    case Kind::Null:
      return "NoneType";
    case Kind::Bool:
      return "bool";
    case Kind::Int:
      return "int";
    case Kind::Float:
      return "float";
    case Kind::String:
      return "str";
    case Kind::List:
      return tuple_ ? "tuple" : "list";
    case Kind::Map:
      return "dict";
    case Kind::Opaque:
      return text_;
  }
  return "object";
}

namespace {

// Python's repr of a str: single quotes unless the text has a ' and no ".
std::string string_repr(const std::string& s) {
  const bool has_single = s.find('\'') != std::string::npos;
  const bool has_double = s.find('"') != std::string::npos;
  const char quote = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

}  // namespace

std::string Value::repr() const {
  switch (kind_) {
    case Kind::Null:
      return "None";
    case Kind::Bool:
      return bool_ ? "True" : "False";
    case Kind::Int:
      return int_text();
    case Kind::Float:
      return python_float_repr(float_);
    case Kind::String:
      return string_repr(text_);
    case Kind::List: {
      std::string out = tuple_ ? "(" : "[";
      for (size_t i = 0; i < items_.size(); ++i) {
        if (i) out += ", ";
        out += items_[i].repr();
      }
      if (tuple_ && items_.size() == 1) out += ",";
      out += tuple_ ? ")" : "]";
      return out;
    }
    case Kind::Map: {
      std::string out = "{";
      for (size_t i = 0; i < entries_.size(); ++i) {
        if (i) out += ", ";
        out += entries_[i].key.repr() + ": " + entries_[i].value.repr();
      }
      return out + "}";
    }
    case Kind::Opaque:
      return opaque_text_;
  }
  return "";
}

std::string Value::str() const { return kind_ == Kind::String ? text_ : repr(); }

bool python_equal(const Value& a, const Value& b) {
  const bool a_num = a.is_number(), b_num = b.is_number();
  if (a_num && b_num) {
    if (a.is_float() || b.is_float()) return a.as_float() == b.as_float();
    if (a.is_big_int() || b.is_big_int()) return a.int_text() == b.int_text();
    return a.as_int() == b.as_int();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::Null:
      return true;
    case Kind::String:
      return a.as_string() == b.as_string();
    case Kind::Opaque:
      return a.as_string() == b.as_string() && a.opaque_text() == b.opaque_text();
    case Kind::List: {
      if (a.is_tuple() != b.is_tuple() || a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!python_equal(a.items()[i], b.items()[i])) return false;
      }
      return true;
    }
    case Kind::Map: {
      if (a.size() != b.size()) return false;
      for (const MapEntry& e : a.entries()) {
        bool found = false;
        for (const MapEntry& f : b.entries()) {
          if (python_equal(e.key, f.key)) {
            if (!python_equal(e.value, f.value)) return false;
            found = true;
            break;
          }
        }
        if (!found) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  // Shortest round-trip digits, then Python's layout: scientific when exp < -4 or >= 16.
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string sci(buf, res.ptr);
  const size_t e_pos = sci.find('e');
  std::string mantissa = sci.substr(0, e_pos);
  const int exponent = std::stoi(sci.substr(e_pos + 1));
  const bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string out;
  if (exponent < -4 || exponent >= 16) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char ebuf[16];
    std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    out += ebuf;
  } else if (exponent < 0) {
    out = "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else {
    const size_t int_len = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= int_len) {
      out = digits + std::string(int_len - digits.size(), '0') + ".0";
    } else {
      out = digits.substr(0, int_len) + "." + digits.substr(int_len);
    }
  }
  if (negative) out.insert(out.begin(), '-');
  return out;
}

}  // namespace qcfg
