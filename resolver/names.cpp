#include "resolver/names.h"

#include <array>

namespace qcfg::resolver {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Python's `$` without MULTILINE also matches just before a final newline.
bool at_end_or_dot(std::string_view s, size_t p) {
  return p == s.size() || s[p] == '.' || (p + 1 == s.size() && s[p] == '\n');
}

// Length of a match of the fused-experts pattern starting at `i` (0 when none), and the length
// of the base word to keep.
size_t match_fused_at(std::string_view s, size_t i, size_t& keep) {
  static constexpr std::array<std::string_view, 2> kWords = {"weight_quantizer", "input_quantizer"};
  for (std::string_view word : kWords) {
    if (s.compare(i, word.size(), word) != 0) continue;
    size_t p = i + word.size();
    if (p < s.size() && s[p] == 's') ++p;
    if (p >= s.size() || s[p] != '.') continue;
    size_t q = p + 1;
    while (q < s.size() && is_digit(s[q])) ++q;
    if (q == p + 1 || !at_end_or_dot(s, q)) continue;
    keep = word.size();
    return q - i;
  }
  return 0;
}

}  // namespace

std::string normalize_fused_experts_name(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  size_t i = 0;
  while (i < name.size()) {
    size_t keep = 0;
    const size_t len = (name[i] == 'w' || name[i] == 'i') ? match_fused_at(name, i, keep) : 0;
    if (len > 0) {
      out.append(name.substr(i, keep));
      i += len;
    } else {
      out += name[i++];
    }
  }
  return out;
}

std::string name_shape(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size();) {
    if (is_digit(name[i])) {
      out += '#';
      while (i < name.size() && is_digit(name[i])) ++i;
    } else {
      out += name[i++];
    }
  }
  return out;
}

}  // namespace qcfg::resolver
