// A hash of names for the tables of giant checkpoints (tensor names, their module prefixes and
// segments, 10^5 of each on DeepSeek-V3): 8 bytes per multiply, where std::hash's took ~4
// instructions a byte. Names of one model differ in a digit or two, which the multiplies spread
// over the whole word; the last step folds the high bits down for tables indexed by low bits.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace qcfg::checkpoint {

inline uint64_t name_hash(std::string_view s) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = s.size() * kMul;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = std::rotl((h ^ w) * kMul, 31);
  }
  uint64_t w = 0;
  std::memcpy(&w, s.data() + i, s.size() - i);
  h = (h ^ w) * kMul;
  return h ^ (h >> 29);
}

// For std::unordered_map<std::string_view, T, NameHash>.
struct NameHash {
  size_t operator()(std::string_view s) const { return static_cast<size_t>(name_hash(s)); }
};

}  // namespace qcfg::checkpoint
