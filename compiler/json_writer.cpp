#include "compiler/json_writer.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>

namespace qcfg {
namespace {

// The escape json.dumps writes for `c` (nullptr: `c` is written as is).
const char* escape_of(unsigned char c, char (&buf)[8]) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    default:
      if (c < 0x20 || c == 0x7f) {
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        return buf;
      }
      return nullptr;
  }
}

bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\' || c == 0x7f; }

// The high bit of bytes of `x` that need an escape, exact up to the lowest one (borrows of the
// zero-byte tests only run upwards, past it). Bytes >= 0x80 (UTF-8) pass as they are.
static_assert(std::endian::native == std::endian::little, "byte 0 is the lowest");

uint64_t escape_bytes(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  const auto zero_bytes = [](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  const uint64_t control = (x - kOnes * 0x20) & ~x & kHigh;  // bytes below 0x20
  return control | zero_bytes(x ^ (kOnes * '"')) | zero_bytes(x ^ (kOnes * '\\')) |
         zero_bytes(x ^ (kOnes * 0x7f));
}

// The first byte at or after `i` that needs an escape, or s.size(): 8 bytes at a time, since
// names rarely hold one (a plan writes hundreds of thousands of names; byte by byte it was the
// largest single cost of writing one).
size_t next_escape(std::string_view s, size_t i) {
  for (uint64_t x; i + 8 <= s.size(); i += 8) {
    std::memcpy(&x, s.data() + i, 8);
    if (const uint64_t e = escape_bytes(x)) return i + static_cast<size_t>(__builtin_ctzll(e)) / 8;
  }
  while (i < s.size() && !needs_escape(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// Runs of plain characters are appended whole.
void write_string(std::string& out, std::string_view s) {
  out += '"';
  char buf[8];
  for (size_t run = 0;;) {
    const size_t i = next_escape(s, run);
    out.append(s.substr(run, i - run));
    if (i == s.size()) break;
    out += escape_of(static_cast<unsigned char>(s[i]), buf);
    run = i + 1;
  }
  out += '"';
}

// json.dumps converts non-string keys with its own rules: True -> "true", None -> "null".
std::string key_text(const Value& k) {
  switch (k.kind()) {
    case Kind::String:
      return k.as_string();
    case Kind::Bool:
      return k.as_bool() ? "true" : "false";
    case Kind::Null:
      return "null";
    case Kind::Float:
      if (std::isnan(k.as_float())) return "NaN";
      if (std::isinf(k.as_float())) return k.as_float() > 0 ? "Infinity" : "-Infinity";
      return python_float_repr(k.as_float());
    default:
      return k.str();
  }
}

class Writer {
 public:
  explicit Writer(const JsonStyle& style) : style_(style) {}

  void write(const Value& v, int depth) {
    switch (v.kind()) {
      case Kind::Null:
        out_ += "null";
        break;
      case Kind::Bool:
        out_ += v.as_bool() ? "true" : "false";
        break;
      case Kind::Int:
        out_ += v.int_text();
        break;
      case Kind::Float: {
        double d = v.as_float();
        if (std::isnan(d)) {
          out_ += "NaN";
        } else if (std::isinf(d)) {
          out_ += d > 0 ? "Infinity" : "-Infinity";
        } else {
          out_ += python_float_repr(d);
        }
        break;
      }
      case Kind::String:
        write_string(out_, v.as_string());
        break;
      case Kind::Opaque:
        write_string(out_, v.opaque_text());
        break;
      case Kind::List:
        write_list(v, depth);
        break;
      case Kind::Map:
        write_map(v, depth);
        break;
    }
  }

  std::string take() { return std::move(out_); }

 private:
  void newline(int depth) {
    if (style_.indent < 0) return;
    out_ += '\n';
    out_.append(static_cast<size_t>(depth * style_.indent), ' ');
  }
  void separator() { out_ += style_.indent < 0 ? ", " : ","; }

  void write_list(const Value& v, int depth) {
    if (v.items().empty()) {
      out_ += "[]";
      return;
    }
    out_ += '[';
    bool first = true;
    for (const Value& item : v.items()) {
      if (!first) separator();
      first = false;
      newline(depth + 1);
      write(item, depth + 1);
    }
    newline(depth);
    out_ += ']';
  }

  void write_map(const Value& v, int depth) {
    if (v.entries().empty()) {
      out_ += "{}";
      return;
    }
    std::vector<std::pair<std::string, const Value*>> pairs;
    for (const MapEntry& e : v.entries()) pairs.emplace_back(key_text(e.key), &e.value);
    if (style_.sort_keys) {
      std::stable_sort(pairs.begin(), pairs.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    out_ += '{';
    bool first = true;
    for (const auto& [key, value] : pairs) {
      if (!first) separator();
      first = false;
      newline(depth + 1);
      write_string(out_, key);
      out_ += ": ";
      write(*value, depth + 1);
    }
    newline(depth);
    out_ += '}';
  }

  const JsonStyle& style_;
  std::string out_;
};

}  // namespace

std::string to_json(const Value& v, const JsonStyle& style) {
  Writer w(style);
  w.write(v, 0);
  return w.take();
}

void append_json_string(std::string& out, std::string_view s) { write_string(out, s); }

}  // namespace qcfg
