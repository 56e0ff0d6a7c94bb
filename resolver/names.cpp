#include "resolver/names.h"

#include <array>
#include <bit>
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

// The high bit of each byte of `x` that is an ASCII digit (exact per byte: each byte is tested on
// its own 7 low bits, without carries between bytes; bytes >= 0x80 never count).
static_assert(std::endian::native == std::endian::little, "byte 0 is the lowest");

uint64_t digit_bytes(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kLow7 = 0x7f7f7f7f7f7f7f7full;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t low = x & kLow7;
  return (kOnes * (127 + ('9' + 1)) - low) & ~x & (low + kOnes * (127 - ('0' - 1))) & kHigh;
}

}  // namespace

// Copied 8 bytes at a time up to the next digit (found from the word's digit bytes): the
// resolver computes the shape of every quantizer's name, hundreds of thousands on a giant model.
void append_name_shape(std::string& out, std::string_view name) {
  const size_t start = out.size();
  out.resize(start + name.size());
  char* w = out.data() + start;
  const size_t n = name.size();
  for (size_t i = 0; i < n;) {
    if (i + 8 <= n) {
      uint64_t x;
      std::memcpy(&x, name.data() + i, 8);
      std::memcpy(w, &x, 8);  // `out` has room: at least n - i bytes are left to write
      const uint64_t digits = digit_bytes(x);
      const size_t plain = digits == 0 ? 8 : static_cast<size_t>(__builtin_ctzll(digits)) / 8;
      i += plain;
      w += plain;
      if (plain == 8) continue;
    } else if (!is_digit(name[i])) {
      *w++ = name[i++];
      continue;
    }
    *w++ = '#';  // name[i] is a digit: its run becomes one '#'
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
