// Python 3.11 `fnmatch.fnmatch` on POSIX (what ModelOpt matches quantizer names with), compiled
// once per pattern into a token list and matched without regular expressions.
//
// Semantics follow CPython's `fnmatch.translate`: `*` matches any run of characters including
// dots and newlines (consecutive stars collapse), `?` one character, `[seq]` / `[!seq]` a set with
// ranges; a `]` right after `[` or `[!` is a member, an unclosed `[` is a literal, a reversed range
// matches nothing, backslash is ordinary, matching is case-sensitive and anchored at both ends.
// Characters are Unicode code points (names and patterns are UTF-8).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace qcfg::resolver {

class GlobPattern {
 public:
  explicit GlobPattern(std::string_view pattern);

  bool matches(std::string_view name) const;
  const std::string& text() const { return text_; }
  // True when the pattern can tell ASCII digits apart from each other or count them (a digit
  // literal, `?`, a negated set or a set with a digit, or a literal '#'); otherwise every run of
  // digits in a name can be abstracted to one placeholder character without changing the result
  // (see names.h).
  bool distinguishes_digits() const { return distinguishes_digits_; }
  // L when the pattern is `*L*` (one literal between stars), else nullptr. A name that contains
  // L has a shape (names.h) that contains L's shape: its digit runs inside L are whole runs of
  // the name, and one at L's start or end is part of one.
  const std::string* literal_between_stars() const {
    return tokens_.size() == 3 && tokens_[0].op == Op::Star && tokens_[1].op == Op::Literal &&
                   tokens_[2].op == Op::Star
               ? &tokens_[1].literal
               : nullptr;
  }

  // The compiled tokens, the one tokenization of fnmatch patterns (the linter's subsumption test
  // reasons on them, lint/glob_subsume.cpp).
  enum class Op : uint8_t { Literal, AnyChar, Set, Star };
  struct CharRange {
    char32_t lo, hi;
    bool operator==(const CharRange&) const = default;
  };
  struct Token {
    explicit Token(Op o) : op(o) {}
    Op op;
    std::string literal;  // Literal: UTF-8 bytes (consecutive literal characters in one token)
    // Set: members as ranges (single characters are lo == hi); `negated` for `[!...]`.
    std::vector<CharRange> ranges;
    bool negated = false;
  };
  const std::vector<Token>& tokens() const { return tokens_; }
  // Does the set token `t` match code point `c`?
  static bool set_contains(const Token& t, char32_t c);

 private:
  void compile(const std::u32string& pat);
  size_t compile_set(const std::u32string& pat, size_t open);
  void add_literal(char32_t c);
  bool token_matches_at(const Token& t, std::string_view name, size_t& pos) const;
  static bool set_touches_digits(const Token& t);

  std::string text_;
  std::vector<Token> tokens_;
  std::string literal_prefix_, literal_suffix_;
  bool distinguishes_digits_ = false;
};

// One-shot convenience (compiles the pattern each call; tests and tools only).
bool fnmatch(std::string_view name, std::string_view pattern);

// UTF-8 helpers shared by the matcher: decode one code point at `pos` and advance; invalid bytes
// decode to U+DC80+byte (Python's surrogateescape) so that no input is rejected.
char32_t decode_utf8(std::string_view s, size_t& pos);
std::u32string to_code_points(std::string_view s);
void append_utf8(std::string& out, char32_t c);

}  // namespace qcfg::resolver
