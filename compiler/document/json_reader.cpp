// read_json: Python `json.loads` semantics with a source position on every value.
//
// Hand-written rather than nlohmann::json because nlohmann can neither report the position of
// each node nor accept the NaN / Infinity / -Infinity literals that Python's json module reads,
// and it does not keep integers beyond 64 bits exact.
//
// Lone surrogate escapes (`"\ud800"`), which Python keeps as lone surrogates in the str, are
// stored as their 3-byte WTF-8 form so that distinct escapes stay distinct strings.
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "compiler/diagnostic.h"
#include "compiler/document/big_int.h"
#include "compiler/document/dict_builder.h"
#include "compiler/document/reader.h"
#include "compiler/document/text_check.h"

namespace qcfg {

namespace {

class JsonParser {
 public:
  JsonParser(const SourceFile& file, const ReadLimits& limits,
             std::vector<DuplicateKey>* duplicates)
      : file_(file), text_(file.text), limits_(limits), duplicates_(duplicates) {}

  Value parse_document() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") {
      fail("unexpected UTF-8 BOM: save the file as UTF-8 without a byte order mark");
    }
    skip_whitespace();
    Value value = parse_value(0);
    skip_whitespace();
    if (pos_ != text_.size()) fail("extra data after the JSON value: remove it");
    return value;
  }

  Value parse_value_at(size_t offset, SourceLocation at) {
    pos_ = offset;
    line_ = at.line;
    line_start_ = offset - (at.column - 1);
    skip_whitespace();
    return parse_value(1);
  }

 private:
  [[noreturn]] void fail(const std::string& message, const char* rule = "json-syntax") const {
    throw CompileError(here(), message, rule);
  }

  SourceLocation here() const {
    return SourceLocation{&file_, line_, static_cast<uint32_t>(pos_ - line_start_ + 1)};
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= text_.size(); }

  // JSON whitespace is exactly space, tab, LF and CR; newlines occur nowhere else.
  void skip_whitespace() {
    while (!at_end()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        line_start_ = pos_ + 1;
      } else if (c != ' ' && c != '\t' && c != '\r') {
        return;
      }
      ++pos_;
    }
  }

  bool consume_word(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  void count_node() {
    if (++nodes_ > limits_.max_nodes) {
      fail(fmt::format("document has more than {} values", limits_.max_nodes), "json-limit");
    }
  }

  Value parse_value(size_t depth) {
    count_node();
    const SourceLocation loc = here();
    const char c = peek();
    if (c == '{' || c == '[') {
      if (depth + 1 > limits_.max_depth) {
        fail(fmt::format("nesting deeper than {} levels", limits_.max_depth), "json-limit");
      }
      return c == '{' ? parse_object(depth + 1, loc) : parse_array(depth + 1, loc);
    }
    if (c == '"') return Value::string(parse_string(), loc);
    if (consume_word("null")) return Value::null(loc);
    if (consume_word("true")) return Value::boolean(true, loc);
    if (consume_word("false")) return Value::boolean(false, loc);
    if (consume_word("NaN")) return Value::real(NAN, loc);
    if (consume_word("Infinity")) return Value::real(INFINITY, loc);
    if (consume_word("-Infinity")) return Value::real(-INFINITY, loc);
    if (c == '-' || (c >= '0' && c <= '9')) return parse_number(loc);
    fail("expecting a value");
  }

  Value parse_object(size_t depth, SourceLocation loc) {
    ++pos_;  // '{'
    document::DictBuilder dict(loc, duplicates_);
    skip_whitespace();
    if (peek() == '}') {
      ++pos_;
      return dict.take();
    }
    while (true) {
      if (peek() != '"') fail("expecting a property name enclosed in double quotes");
      const SourceLocation key_loc = here();
      count_node();
      Value key = Value::string(parse_string(), key_loc);
      skip_whitespace();
      if (peek() != ':') fail("expecting ':' delimiter");
      ++pos_;
      skip_whitespace();
      dict.insert(std::move(key), parse_value(depth));
      skip_whitespace();
      if (peek() == '}') {
        ++pos_;
        return dict.take();
      }
      if (peek() != ',') fail("expecting ',' delimiter or '}'");
      ++pos_;
      skip_whitespace();
    }
  }

  Value parse_array(size_t depth, SourceLocation loc) {
    ++pos_;  // '['
    Value list = Value::list(loc);
    skip_whitespace();
    if (peek() == ']') {
      ++pos_;
      return list;
    }
    while (true) {
      list.push_back(parse_value(depth));
      skip_whitespace();
      if (peek() == ']') {
        ++pos_;
        return list;
      }
      if (peek() != ',') fail("expecting ',' delimiter or ']'");
      ++pos_;
      skip_whitespace();
    }
  }

  // Python's NUMBER_RE: -?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)? ; int unless a fraction or exponent.
  Value parse_number(SourceLocation loc) {
    const size_t start = pos_;
    const auto digits = [&] {
      const size_t from = pos_;
      while (peek() >= '0' && peek() <= '9') ++pos_;
      return pos_ - from;
    };
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      pos_ = start;
      fail("expecting a value");
    }
    const size_t int_end = pos_;
    bool is_float = false;
    if (peek() == '.' && pos_ + 1 < text_.size() &&
        std::isdigit(static_cast<unsigned char>(text_[pos_ + 1]))) {
      ++pos_, digits(), is_float = true;
    }
    if (peek() == 'e' || peek() == 'E') {
      const size_t mark = pos_++;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) {
        pos_ = mark;  // not an exponent: Python stops the number before the 'e'
      } else {
        is_float = true;
      }
    }
    const std::string literal(text_.substr(start, pos_ - start));
    if (is_float) return Value::real(std::strtod(literal.c_str(), nullptr), loc);
    const std::string_view magnitude = text_.substr(start + negative, int_end - start - negative);
    if (magnitude.size() > document::kPythonMaxIntDigits) {
      pos_ = start;
      fail(fmt::format("integer has {} digits, more than Python's limit of {}", magnitude.size(),
                       document::kPythonMaxIntDigits),
           "json-limit");
    }
    return document::make_integer_from_decimal(negative, magnitude, loc);
  }

  // Four hex digits after "\u"; -1 when malformed.
  int32_t read_hex4(size_t at) const {
    if (at + 4 > text_.size()) return -1;
    int32_t value = 0;
    for (size_t k = at; k < at + 4; ++k) {
      const char c = text_[k];
      int d = -1;
      if (c >= '0' && c <= '9') d = c - '0';
      if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
      if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
      if (d < 0) return -1;
      value = value * 16 + d;
    }
    return value;
  }

  // "\uXXXX", combining a high surrogate with a following "\uDC00".."\uDFFF" as Python does.
  void parse_unicode_escape(std::string* out) {
    int32_t cp = read_hex4(pos_ + 2);
    if (cp < 0) fail("invalid \\uXXXX escape: needs four hex digits");
    pos_ += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && text_.substr(pos_, 2) == "\\u") {
      const int32_t low = read_hex4(pos_ + 2);
      if (low >= 0xDC00 && low <= 0xDFFF) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        pos_ += 6;
      }
    }
    document::append_utf8(out, static_cast<uint32_t>(cp));
  }

  void parse_escape(std::string* out) {
    const char c = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';
    if (c == 'u') return parse_unicode_escape(out);
    static constexpr std::string_view kFrom = "\"\\/bfnrt", kTo = "\"\\/\b\f\n\r\t";
    const size_t which = kFrom.find(c);
    if (c == '\0' || which == std::string_view::npos) fail("invalid \\escape in string");
    *out += kTo[which];
    pos_ += 2;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string: add the closing '\"'");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        parse_escape(&out);
      } else if (static_cast<unsigned char>(c) < 0x20) {
        fail("invalid control character in string: write it as an escape such as \\n");
      } else {
        // The plain run up to the next quote, escape or control character, appended at once.
        size_t end = pos_ + 1;
        while (end < text_.size() && text_[end] != '"' && text_[end] != '\\' &&
               static_cast<unsigned char>(text_[end]) >= 0x20)
          ++end;
        out.append(text_.substr(pos_, end - pos_));
        pos_ = end;
      }
    }
  }

  const SourceFile& file_;
  std::string_view text_;
  const ReadLimits& limits_;
  std::vector<DuplicateKey>* duplicates_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
  size_t line_start_ = 0;
  size_t nodes_ = 0;
};

}  // namespace

Value read_json(const SourceFile& file, const ReadLimits& limits,
                std::vector<DuplicateKey>* duplicates) {
  document::check_size_and_utf8(file, limits.max_bytes, "json");
  return JsonParser(file, limits, duplicates).parse_document();
}

Value read_json_value_at(const SourceFile& file, size_t offset, SourceLocation at,
                         const ReadLimits& limits) {
  return JsonParser(file, limits, nullptr).parse_value_at(offset, at);
}

}  // namespace qcfg
