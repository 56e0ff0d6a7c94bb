#include "resolver/names.h"

#include <array>
#include <cstdint>
#include <cstring>

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

namespace {

// Whether one of the 8 bytes of `x` is an ASCII digit (exact: each byte is tested on its own 7
// low bits, without carries between bytes; bytes >= 0x80 never count).
bool word_has_digit(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kLow7 = 0x7f7f7f7f7f7f7f7full;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t low = x & kLow7;
  return ((kOnes * (127 + ('9' + 1)) - low) & ~x & (low + kOnes * (127 - ('0' - 1))) & kHigh) != 0;
}

}  // namespace

// Words without a digit (most of a name) are copied 8 bytes at a time: the resolver computes the
// shape of every quantizer's name, hundreds of thousands on a giant model.
void append_name_shape(std::string& out, std::string_view name) {
  const size_t start = out.size();
  out.resize(start + name.size());
  char* w = out.data() + start;
  const size_t n = name.size();
  for (size_t i = 0; i < n;) {
    for (uint64_t x; i + 8 <= n; i += 8, w += 8) {
      std::memcpy(&x, name.data() + i, 8);
      if (word_has_digit(x)) break;
      std::memcpy(w, &x, 8);
    }
    if (i == n) break;
    const char c = name[i++];
    if (!is_digit(c)) {
      *w++ = c;
      continue;
    }
    *w++ = '#';
    while (i < n && is_digit(name[i])) ++i;
  }
  out.resize(static_cast<size_t>(w - out.data()));
}

std::string name_shape(std::string_view name) {
  std::string out;
  append_name_shape(out, name);
  return out;
}

}  // namespace qcfg::resolver
