#include "migrations/source_text.h"

#include <algorithm>

namespace qcfg::migrations {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_break(char c) { return c == '\n' || c == '\r'; }
bool is_flow_indicator(char c) { return c == ',' || c == '[' || c == ']' || c == '{' || c == '}'; }

}  // namespace

SourceText::SourceText(std::string_view text) : text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i) {
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
  }
}

size_t SourceText::offset(const SourceLocation& loc) const {
  if (loc.line == 0 || loc.line > line_starts_.size() || loc.column == 0) return kNoOffset;
  const size_t off = line_starts_[loc.line - 1] + loc.column - 1;
  return off <= text_.size() ? off : kNoOffset;
}

size_t SourceText::line_begin(size_t off) const {
  const auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), off);
  return *(it - 1);
}

size_t SourceText::line_end(size_t off) const {
  const size_t nl = text_.find('\n', off);
  size_t end = nl == std::string_view::npos ? text_.size() : nl;
  if (end > off && end > 0 && text_[end - 1] == '\r') --end;
  return end;
}

size_t SourceText::next_line(size_t off) const {
  const size_t nl = text_.find('\n', off);
  return nl == std::string_view::npos ? text_.size() : nl + 1;
}

size_t SourceText::indentation(size_t off) const {
  size_t i = line_begin(off);
  const size_t begin = i;
  while (i < text_.size() && text_[i] == ' ') ++i;
  return i - begin;
}

bool SourceText::is_blank_or_comment_line(size_t off) const {
  size_t i = line_begin(off);
  while (i < text_.size() && is_space(text_[i])) ++i;
  return i >= text_.size() || is_break(text_[i]) || text_[i] == '#';
}

size_t SourceText::quoted_end(size_t off) const {
  const char quote = text_[off];
  for (size_t i = off + 1; i < text_.size(); ++i) {
    if (quote == '"' && text_[i] == '\\') {
      ++i;
    } else if (text_[i] == quote) {
      if (quote == '\'' && at(i + 1) == '\'') {
        ++i;  // '' is an escaped quote
        continue;
      }
      return i + 1;
    }
  }
  return text_.size();
}

size_t SourceText::plain_end(size_t off, bool in_flow) const {
  size_t i = off;
  for (; i < text_.size() && !is_break(text_[i]); ++i) {
    const char c = text_[i];
    if (in_flow && is_flow_indicator(c)) break;
    if (c == ':' && (i + 1 >= text_.size() || is_space(at(i + 1)) || is_break(at(i + 1)) ||
                     (in_flow && is_flow_indicator(at(i + 1))))) {
      break;
    }
    if (c == '#' && i > off && is_space(text_[i - 1])) break;
  }
  while (i > off && is_space(text_[i - 1])) --i;
  return i;
}

size_t SourceText::scalar_end(size_t off, bool in_flow) const {
  if (off >= text_.size()) return off;
  if (text_[off] == '"' || text_[off] == '\'') return quoted_end(off);
  return plain_end(off, in_flow);
}

size_t SourceText::flow_node_end(size_t off) const {
  if (off >= text_.size()) return off;
  if (text_[off] != '{' && text_[off] != '[') return scalar_end(off, true);
  int depth = 0;
  for (size_t i = off; i < text_.size(); ++i) {
    const char c = text_[i];
    if (c == '"' || c == '\'') {
      // A quote starts a quoted scalar only where a scalar can start (not inside a plain one).
      const char prev = i > off ? text_[i - 1] : ' ';
      if (is_space(prev) || is_break(prev) || is_flow_indicator(prev) || prev == ':') {
        i = quoted_end(i) - 1;
      }
    } else if (c == '#' && i > off && (is_space(text_[i - 1]) || is_break(text_[i - 1]))) {
      i = line_end(i) - 1;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return text_.size();
}

size_t SourceText::block_end(size_t off, size_t limit) const {
  limit = std::min(limit, text_.size());
  if (limit <= off) return off;
  // Walk back over whole lines that are blank or comments, never past the node's first line.
  size_t line = line_begin(limit - 1);
  while (line > line_begin(off) && is_blank_or_comment_line(line)) line = line_begin(line - 1);
  return std::clamp(line_end(line), off, limit);
}

size_t SourceText::after_colon(size_t key_end) const {
  size_t i = key_end;
  while (i < text_.size() && is_space(text_[i])) ++i;
  return at(i) == ':' ? i + 1 : kNoOffset;
}

std::string_view SourceText::trailing_comment(size_t from) const {
  size_t i = from;
  while (i < text_.size() && is_space(text_[i])) ++i;
  if (at(i) != '#') return {};
  return text_.substr(i, line_end(i) - i);
}

bool SourceText::has_blank_line(size_t from, size_t to) const {
  for (size_t line = line_begin(from); line < std::min(to, text_.size()); line = next_line(line)) {
    if (line >= from && text_.substr(line, line_end(line) - line).find_first_not_of(" \t\r") ==
                            std::string_view::npos) {
      return true;
    }
  }
  return false;
}

std::vector<std::string_view> SourceText::comment_lines(size_t from, size_t to) const {
  std::vector<std::string_view> out;
  to = std::min(to, text_.size());
  for (size_t line = line_begin(from); line < to; line = next_line(line)) {
    size_t i = line;
    while (i < text_.size() && is_space(text_[i])) ++i;
    if (at(i) == '#' && i >= from && i < to) out.push_back(text_.substr(i, line_end(i) - i));
    if (line_end(line) >= text_.size()) break;
  }
  return out;
}

size_t SourceText::document_end(size_t off) const {
  for (size_t line = next_line(off); line < text_.size(); line = next_line(line)) {
    const std::string_view head = text_.substr(line, 3);
    if ((head == "---" || head == "...") &&
        (line + 3 >= text_.size() || is_space(at(line + 3)) || is_break(at(line + 3)))) {
      return line;
    }
  }
  return text_.size();
}

}  // namespace qcfg::migrations
