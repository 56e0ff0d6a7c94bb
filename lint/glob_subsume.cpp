#include "lint/glob_subsume.h"

#include <string>
#include <vector>

#include "resolver/fnmatch.h"

namespace qcfg::lint {
namespace {

using Pattern = resolver::GlobPattern;
using Op = Pattern::Op;

// One character position of a pattern: the resolver's tokens (the one fnmatch tokenizer), with
// each literal run cut into its code points, as fnmatch counts characters.
struct Token {
  Op op;
  char32_t c = 0;                       // Literal: one code point
  const Pattern::Token* set = nullptr;  // Set
};

std::vector<Token> tokenize(const Pattern& compiled) {
  std::vector<Token> out;
  for (const Pattern::Token& t : compiled.tokens()) {
    if (t.op == Op::Literal) {
      for (char32_t c : resolver::to_code_points(t.literal)) out.push_back({Op::Literal, c});
    } else {
      out.push_back({t.op, 0, t.op == Op::Set ? &t : nullptr});
    }
  }
  return out;
}

bool same_set(const Pattern::Token& a, const Pattern::Token& b) {
  return a.negated == b.negated && a.ranges == b.ranges;
}

// Can one `general` token stand for everything one `specific` single-character token matches?
bool covers_one(const Token& g, const Token& s) {
  switch (g.op) {
    case Op::AnyChar:
      return s.op != Op::Star;
    case Op::Literal:
      return s.op == Op::Literal && s.c == g.c;
    case Op::Set:
      if (s.op == Op::Literal) return Pattern::set_contains(*g.set, s.c);
      return s.op == Op::Set && same_set(*s.set, *g.set);
    case Op::Star:
      return true;
  }
  return false;
}

}  // namespace

bool glob_subsumes(std::string_view general, std::string_view specific) {
  const Pattern general_pattern(general), specific_pattern(specific);
  const std::vector<Token> g = tokenize(general_pattern);
  const std::vector<Token> s = tokenize(specific_pattern);
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
