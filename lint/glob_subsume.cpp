#include "lint/glob_subsume.h"

#include "resolver/fnmatch.h"

#include <string>
#include <vector>

namespace qcfg::lint {
namespace {

enum class Op { Literal, Any, Star, Set };

struct Token {
  explicit Token(Op o, char32_t ch = 0) : op(o), c(ch) {}
  Op op;
  char32_t c = 0;      // Literal: one code point, as fnmatch counts characters
  std::u32string set;  // Set: the text between the brackets (after `!`)
  bool negated = false;
};

// CPython 3.11 fnmatch.translate's bracket rules: `]` right after `[` or `[!` is a member; an
// unclosed `[` is a literal.
size_t parse_set(std::u32string_view p, size_t open, Token* out) {
  size_t j = open + 1;
  if (j < p.size() && p[j] == '!') ++j;
  if (j < p.size() && p[j] == ']') ++j;
  while (j < p.size() && p[j] != ']') ++j;
  if (j >= p.size()) return 0;
  size_t body = open + 1;
  out->op = Op::Set;
  if (p[body] == '!') {
    out->negated = true;
    ++body;
  }
  out->set = std::u32string(p.substr(body, j - body));
  return j + 1;
}

// Code points, not bytes: `?` stands for one character of a UTF-8 name, as in resolver::fnmatch.
std::vector<Token> tokenize(std::string_view utf8) {
  const std::u32string p = resolver::to_code_points(utf8);
  std::vector<Token> out;
  for (size_t i = 0; i < p.size();) {
    const char32_t c = p[i];
    if (c == '*') {
      if (out.empty() || out.back().op != Op::Star) out.push_back(Token(Op::Star));
      ++i;
    } else if (c == '?') {
      out.push_back(Token(Op::Any));
      ++i;
    } else if (c == '[') {
      Token t(Op::Set);
      const size_t next = parse_set(p, i, &t);
      if (next == 0) {
        out.push_back(Token(Op::Literal, '['));
        ++i;
      } else {
        out.push_back(std::move(t));
        i = next;
      }
    } else {
      out.push_back(Token(Op::Literal, c));
      ++i;
    }
  }
  return out;
}

bool set_contains(const Token& s, char32_t c) {
  bool hit = false;
  const std::u32string& m = s.set;
  for (size_t i = 0; i < m.size(); ++i) {
    if (i + 2 < m.size() && m[i + 1] == '-') {
      hit = hit || (m[i] <= c && c <= m[i + 2]);
      i += 2;
    } else {
      hit = hit || m[i] == c;
    }
  }
  return hit != s.negated;
}

// Can one `general` token stand for everything one `specific` single-character token matches?
bool covers_one(const Token& g, const Token& s) {
  switch (g.op) {
    case Op::Any:
      return s.op != Op::Star;
    case Op::Literal:
      return s.op == Op::Literal && s.c == g.c;
    case Op::Set:
      if (s.op == Op::Literal) return set_contains(g, s.c);
      return s.op == Op::Set && s.set == g.set && s.negated == g.negated;
    case Op::Star:
      return true;
  }
  return false;
}

}  // namespace

bool glob_subsumes(std::string_view general, std::string_view specific) {
  const std::vector<Token> g = tokenize(general);
  const std::vector<Token> s = tokenize(specific);
  // reach[i][j]: g[0..i) can stand for s[0..j).
  std::vector<std::vector<char>> reach(g.size() + 1, std::vector<char>(s.size() + 1, 0));
  reach[0][0] = 1;
  for (size_t i = 0; i <= g.size(); ++i) {
    for (size_t j = 0; j <= s.size(); ++j) {
      if (!reach[i][j] || i == g.size()) continue;
      if (g[i].op == Op::Star) {
        for (size_t k = j; k <= s.size(); ++k) reach[i + 1][k] = 1;  // absorbs any run
      } else if (j < s.size() && covers_one(g[i], s[j])) {
        reach[i + 1][j + 1] = 1;
      }
    }
  }
  return reach[g.size()][s.size()] != 0;
}

}  // namespace qcfg::lint
