// Helpers for bit-exact comparisons in the kernels tests.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "kernels/cpu/hd.h"

namespace qcfg::numerics::test {

inline std::string describe(float v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g (0x%08x)", static_cast<double>(v), float_bits(v));
  return buf;
}

// Bit-exact (so -0 != +0; any NaN equals any NaN).
inline bool same_bits(float a, float b) {
  if (is_nan(a) && is_nan(b)) return true;
  return float_bits(a) == float_bits(b);
}

inline void check_bits(std::span<const float> got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("index ", i, ": got ", describe(got[i]), ", want ", describe(want[i]));
    CHECK(same_bits(got[i], want[i]));
  }
}

inline void check_bytes(std::span<const uint8_t> got, const std::vector<uint8_t>& want) {
  REQUIRE(got.size() >= want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("byte ", i);
    CHECK(static_cast<int>(got[i]) == static_cast<int>(want[i]));
  }
}

}  // namespace qcfg::numerics::test
