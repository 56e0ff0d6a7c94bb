#include "resolver/fnmatch.h"

namespace qcfg::resolver {

char32_t decode_utf8(std::string_view s, size_t& pos) {
  const auto b0 = static_cast<unsigned char>(s[pos]);
  if (b0 < 0x80) {
    ++pos;
    return b0;
  }
  const int extra = b0 >= 0xF0 ? 3 : b0 >= 0xE0 ? 2 : b0 >= 0xC2 ? 1 : -1;
  const auto escaped = static_cast<char32_t>(0xDC00 + b0);
  if (extra < 0 || b0 > 0xF4 || pos + extra >= s.size()) {
    ++pos;
    return escaped;
  }
  char32_t c = b0 & (0x3F >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto b = static_cast<unsigned char>(s[pos + k]);
    if ((b & 0xC0) != 0x80) {
      ++pos;
      return escaped;
    }
    c = (c << 6) | (b & 0x3F);
  }
  pos += extra + 1;
  return c;
}

std::u32string to_code_points(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t pos = 0; pos < s.size();) out.push_back(decode_utf8(s, pos));
  return out;
}

void append_utf8(std::string& out, char32_t c) {
  if (c >= 0xDC80 && c <= 0xDCFF) {  // an escaped invalid byte goes back as that byte
    out += static_cast<char>(c - 0xDC00);
  } else if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

namespace {

bool is_ascii_digit(char32_t c) { return c >= U'0' && c <= U'9'; }

// CPython splits a set body containing '-' into chunks at every hyphen that forms a range, then
// drops reversed ranges by merging their neighbours. Returns the chunks (ranges run between the
// last character of one chunk and the first of the next).
std::vector<std::u32string> split_range_chunks(const std::u32string& pat, size_t i, size_t j) {
  std::vector<std::u32string> chunks;
  size_t k = pat[i] == U'!' ? i + 2 : i + 1;
  while (true) {
    size_t hyphen = std::u32string::npos;
    for (size_t p = k; p < j; ++p) {
      if (pat[p] == U'-') {
        hyphen = p;
        break;
      }
    }
    if (hyphen == std::u32string::npos) break;
    chunks.push_back(pat.substr(i, hyphen - i));
    i = hyphen + 1;
    k = hyphen + 3;
  }
  std::u32string last = pat.substr(i, j - i);
  if (!last.empty()) {
    chunks.push_back(last);
  } else {
    chunks.back() += U'-';
  }
  for (size_t c = chunks.size() - 1; c > 0; --c) {
    if (chunks[c - 1].back() > chunks[c].front()) {
      chunks[c - 1] = chunks[c - 1].substr(0, chunks[c - 1].size() - 1) + chunks[c].substr(1);
      chunks.erase(chunks.begin() + static_cast<std::ptrdiff_t>(c));
    }
  }
  return chunks;
}

}  // namespace

GlobPattern::GlobPattern(std::string_view pattern) : text_(pattern) {
  compile(to_code_points(pattern));
  // Quick rejections: a leading literal must start the name, a trailing one must end it.
  if (!tokens_.empty() && tokens_.front().op == Op::Literal)
    literal_prefix_ = tokens_.front().literal;
  if (tokens_.size() > 1 && tokens_.back().op == Op::Literal)
    literal_suffix_ = tokens_.back().literal;
}

void GlobPattern::add_literal(char32_t c) {
  if (is_ascii_digit(c) || c == U'#') distinguishes_digits_ = true;
  if (tokens_.empty() || tokens_.back().op != Op::Literal) tokens_.emplace_back(Op::Literal);
  append_utf8(tokens_.back().literal, c);
}

void GlobPattern::compile(const std::u32string& pat) {
  size_t i = 0;
  while (i < pat.size()) {
    const char32_t c = pat[i++];
    if (c == U'*') {
      if (tokens_.empty() || tokens_.back().op != Op::Star) tokens_.emplace_back(Op::Star);
    } else if (c == U'?') {
      tokens_.emplace_back(Op::AnyChar);
      distinguishes_digits_ = true;
    } else if (c == U'[') {
      i = compile_set(pat, i);
    } else {
      add_literal(c);
    }
  }
}

// `open` is the index just after '['. Returns the index to continue from.
size_t GlobPattern::compile_set(const std::u32string& pat, size_t open) {
  size_t j = open;
  if (j < pat.size() && pat[j] == U'!') ++j;
  if (j < pat.size() && pat[j] == U']') ++j;
  while (j < pat.size() && pat[j] != U']') ++j;
  if (j >= pat.size()) {  // no closing bracket: a literal '['
    add_literal(U'[');
    return open;
  }
  std::vector<std::u32string> chunks;
  const std::u32string body = pat.substr(open, j - open);
  if (body.find(U'-') == std::u32string::npos) {
    chunks.push_back(body);
  } else {
    chunks = split_range_chunks(pat, open, j);
  }
  Token t(Op::Set);
  t.negated = !chunks.front().empty() && chunks.front().front() == U'!';
  const size_t last = chunks.size() - 1;
  for (size_t c = 0; c <= last; ++c) {
    const std::u32string& s = chunks[c];
    size_t begin = (c == 0 && t.negated) ? 1 : 0;
    if (c > 0) begin = std::max<size_t>(begin, 1);
    const size_t end = c < last ? s.size() - 1 : s.size();
    for (size_t p = begin; p < end; ++p) t.ranges.push_back({s[p], s[p]});
    if (c < last) t.ranges.push_back({s.back(), chunks[c + 1].front()});
  }
  // A non-negated empty set never matches; a negated empty set matches any character.
  // A set that can never consume a digit or '#' cannot tell digit runs apart.
  if (t.negated || set_touches_digits(t)) distinguishes_digits_ = true;
  tokens_.push_back(std::move(t));
  return j + 1;
}

bool GlobPattern::set_touches_digits(const Token& t) {
  for (const CharRange& r : t.ranges)
    if ((r.lo <= U'9' && r.hi >= U'0') || (r.lo <= U'#' && r.hi >= U'#')) return true;
  return false;
}

bool GlobPattern::set_contains(const Token& t, char32_t c) {
  bool in = false;
  for (const CharRange& r : t.ranges) {
    if (c >= r.lo && c <= r.hi) {
      in = true;
      break;
    }
  }
  return in != t.negated;
}

bool GlobPattern::token_matches_at(const Token& t, std::string_view name, size_t& pos) const {
  switch (t.op) {
    case Op::Literal:
      if (name.compare(pos, t.literal.size(), t.literal) != 0) return false;
      pos += t.literal.size();
      return true;
    case Op::AnyChar:
      if (pos >= name.size()) return false;
      decode_utf8(name, pos);
      return true;
    case Op::Set: {
      if (pos >= name.size()) return false;
      return set_contains(t, decode_utf8(name, pos));
    }
    case Op::Star:
      break;
  }
  return false;
}

// Every token but `*` consumes a fixed number of characters, so remembering only the last star
// and letting it absorb more characters on failure is exact (no exponential backtracking). When
// the token after the star is a literal, the star jumps straight to its next occurrence.
bool GlobPattern::matches(std::string_view name) const {
  if (!literal_prefix_.empty() && name.substr(0, literal_prefix_.size()) != literal_prefix_)
    return false;
  if (!literal_suffix_.empty() &&
      (name.size() < literal_suffix_.size() ||
       name.substr(name.size() - literal_suffix_.size()) != literal_suffix_))
    return false;
  const size_t m = tokens_.size();
  size_t ti = 0, pos = 0;
  size_t star_ti = SIZE_MAX, star_pos = 0;
  while (true) {
    if (ti < m && tokens_[ti].op == Op::Star) {
      star_ti = ti++;
      star_pos = pos;
      continue;
    }
    if (ti == m && pos == name.size()) return true;
    size_t p = pos;
    if (ti < m && token_matches_at(tokens_[ti], name, p)) {
      ++ti;
      pos = p;
      continue;
    }
    if (star_ti == SIZE_MAX || star_pos >= name.size()) return false;
    if (star_ti + 1 < m && tokens_[star_ti + 1].op == Op::Literal) {
      star_pos = name.find(tokens_[star_ti + 1].literal, star_pos + 1);
      if (star_pos == std::string_view::npos) return false;
    } else {
      decode_utf8(name, star_pos);
    }
    pos = star_pos;
    ti = star_ti + 1;
  }
}

bool fnmatch(std::string_view name, std::string_view pattern) {
  return GlobPattern(pattern).matches(name);
}

}  // namespace qcfg::resolver
