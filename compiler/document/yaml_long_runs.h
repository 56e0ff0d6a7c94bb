// yaml-cpp's scanner spends a RegEx match and a deque<char> push per character of a scalar
// (0.15 s of CPU per MB; a 60 MB scalar took a minute). A run of ASCII letters and digits
// (and, where no name can start, spaces) tokenizes the same wherever it stands (plain or quoted
// scalar, key, comment, tag, anchor), so
// the reader hands yaml-cpp the text with every long run shortened to a token of the same
// characters, and puts each run back into the scalars, tags and anchor names it returns.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace qcfg::document {

class LongRuns {
 public:
  explicit LongRuns(std::string_view text);

  // The text yaml-cpp reads: `text` itself when nothing was shortened.
  std::string_view shortened() const { return shortened_.empty() ? text_ : shortened_; }
  // `s` (a scalar, tag or anchor name of the shortened text) with its runs restored.
  std::string restore(const std::string& s) const;
  // A 0-based yaml-cpp column on a 0-based line of the shortened text, in the original text.
  uint32_t column(uint32_t line, uint32_t column) const;

 private:
  struct Shift {
    uint32_t line;
    uint32_t end_column;  // just past the token, in the shortened line
    uint32_t removed;     // bytes the token is shorter than the run
  };
  void shorten(size_t begin, size_t end, uint32_t line, uint32_t column);

  std::string_view text_;
  std::string shortened_;
  std::string sentinel_;                // a word that occurs nowhere in `text_`
  std::vector<std::string_view> runs_;  // distinct runs, by token id
  std::vector<std::string> tokens_;
  std::map<std::string_view, size_t> ids_;
  std::vector<Shift> shifts_;  // in text order
};

}  // namespace qcfg::document
