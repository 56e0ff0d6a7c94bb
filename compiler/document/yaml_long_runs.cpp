#include "compiler/document/yaml_long_runs.h"

#include <algorithm>
#include <cstdlib>

namespace qcfg::document {

namespace {

// Runs shorter than this are left alone: the common case costs one pass over the text.
constexpr size_t kMinRun = 4096;
// Every token is this long: more than the 1,024 characters yaml-cpp (like PyYAML) allows an
// implicit key, so a key that was too long stays too long.
constexpr size_t kTokenSize = 1100;
// The first characters of a run stay in its token: an escape just before the run
// (`"\U0001F600..."`) reads the same digits.
constexpr size_t kKeptPrefix = 16;

bool is_run_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// "QcfgRun" has no second 'Q', so it cannot overlap itself or start inside a run's prefix.
std::string pick_sentinel(std::string_view text) {
  for (size_t n = 0;; ++n) {
    std::string s = "QcfgRun" + std::to_string(n) + "x";
    if (text.find(s) == std::string_view::npos) return s;
  }
}

// Where a run may also hold single spaces between words: after a space, a quote or at a line's
// start its first word cannot be an anchor, alias or tag name (those end at a space), and no
// YAML indicator is a letter, a digit or a space.
bool may_hold_spaces(std::string_view text, size_t i) {
  return i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n' || text[i - 1] == '"' ||
         text[i - 1] == '\'';
}

// The end of the run starting at `i`; trailing spaces are not part of it (a plain scalar drops
// them).
size_t run_end(std::string_view text, size_t i) {
  const bool spaces = may_hold_spaces(text, i);
  size_t end = i, last_word_end = i;
  while (end < text.size() && (is_run_char(text[end]) || (spaces && text[end] == ' '))) {
    if (text[end] != ' ') last_word_end = end + 1;
    ++end;
  }
  return last_word_end;
}

}  // namespace

LongRuns::LongRuns(std::string_view text) : text_(text) {
  size_t copied = 0;
  uint32_t line = 0;
  size_t line_start = 0;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == '\n') {
      ++line;
      line_start = ++i;
      continue;
    }
    if (!is_run_char(text[i])) {
      ++i;
      continue;
    }
    const size_t end = run_end(text, i);
    if (end - i >= kMinRun) {
      if (sentinel_.empty()) sentinel_ = pick_sentinel(text);
      shortened_.append(text.substr(copied, i - copied));
      shorten(i, end, line, static_cast<uint32_t>(i - line_start));
      copied = end;
    }
    i = end;
  }
  if (!shifts_.empty()) shortened_.append(text.substr(copied));
}

void LongRuns::shorten(size_t begin, size_t end, uint32_t line, uint32_t column) {
  const std::string_view run = text_.substr(begin, end - begin);
  auto [it, inserted] = ids_.emplace(run, runs_.size());
  if (inserted) {
    std::string token =
        std::string(run.substr(0, kKeptPrefix)) + sentinel_ + std::to_string(it->second) + "x";
    token.resize(kTokenSize, '0');
    runs_.push_back(run);
    tokens_.push_back(std::move(token));
  }
  // Columns of the shortened line: earlier shortenings on this line moved this run left.
  uint32_t removed_before = 0;
  for (auto s = shifts_.rbegin(); s != shifts_.rend() && s->line == line; ++s) {
    removed_before += s->removed;
  }
  shifts_.push_back(Shift{line, static_cast<uint32_t>(column - removed_before + kTokenSize),
                          static_cast<uint32_t>(run.size() - kTokenSize)});
  shortened_.append(tokens_[it->second]);
}

std::string LongRuns::restore(const std::string& s) const {
  if (shifts_.empty() || s.find(sentinel_) == std::string::npos) return s;
  std::string out;
  size_t copied = 0;
  for (size_t p = s.find(sentinel_); p != std::string::npos; p = s.find(sentinel_, p + 1)) {
    if (p < kKeptPrefix || p - kKeptPrefix < copied) continue;
    const size_t start = p - kKeptPrefix;
    const size_t id = std::strtoull(s.c_str() + p + sentinel_.size(), nullptr, 10);
    if (id >= tokens_.size() || s.compare(start, kTokenSize, tokens_[id]) != 0) continue;
    out.append(s, copied, start - copied);
    out.append(runs_[id]);
    copied = start + kTokenSize;
  }
  out.append(s, copied, std::string::npos);
  return out;
}

uint32_t LongRuns::column(uint32_t line, uint32_t column) const {
  const uint32_t shortened_column = column;
  auto it = std::lower_bound(shifts_.begin(), shifts_.end(), line,
                             [](const Shift& s, uint32_t l) { return s.line < l; });
  for (; it != shifts_.end() && it->line == line && it->end_column <= shortened_column; ++it) {
    column += it->removed;
  }
  return column;
}

}  // namespace qcfg::document
