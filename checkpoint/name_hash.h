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
#include <utility>
#include <vector>

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
  // Not for an empty tail: memcpy from a null pointer (an empty view's data) is undefined.
  if (i < s.size()) std::memcpy(&w, s.data() + i, s.size() - i);
  h = (h ^ w) * kMul;
  return h ^ (h >> 29);
}

// For std::unordered_map<std::string_view, T, NameHash>.
struct NameHash {
  size_t operator()(std::string_view s) const { return static_cast<size_t>(name_hash(s)); }
};

// string_view -> uint32_t by open addressing (linear probing, at most half full): no allocation
// per key, where std::unordered_map allocated a node for each of DeepSeek-V3's 45k modules. The
// keys' text must outlive the table.
class NameIndex {
 public:
  explicit NameIndex(size_t expected = 8) : slots_(std::bit_ceil(2 * expected + 2)) {}

  // The value of `key`, inserting `value` when it is not there; second: inserted.
  std::pair<uint32_t, bool> try_emplace(std::string_view key, uint32_t value) {
    if (2 * (size_ + 1) > slots_.size()) grow();
    Slot& s = slot_of(slots_, key);
    if (s.used) return {s.value, false};
    s = {key, value, true};
    ++size_;
    return {value, true};
  }

 private:
  struct Slot {
    std::string_view key;
    uint32_t value = 0;
    bool used = false;
  };

  static Slot& slot_of(std::vector<Slot>& slots, std::string_view key) {
    const size_t mask = slots.size() - 1;
    for (size_t at = name_hash(key) & mask;; at = (at + 1) & mask)
      if (!slots[at].used || slots[at].key == key) return slots[at];
  }

  void grow() {
    std::vector<Slot> bigger(2 * slots_.size());
    for (const Slot& s : slots_)
      if (s.used) slot_of(bigger, s.key) = s;
    slots_.swap(bigger);
  }

  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace qcfg::checkpoint
