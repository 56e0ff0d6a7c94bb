// Division of 32-bit unsigned indices by a divisor fixed at launch, as a multiply-high, a subtract,
// an add and two shifts (Granlund-Montgomery; Hacker's Delight 10-9, the overflow-free form). The
// kernels use it where they map an element index to its amax entry, which otherwise costs a
// ~20-instruction integer division per vector. Plain C++ with QCFG_HD, so the host test
// (tests/kernels/fast_div_test.cpp) runs the same code the GPU runs.
#pragma once

#include <cstdint>

#include "kernels/cpu/hd.h"

namespace qcfg::cuda {

QCFG_HD uint32_t mul_high_u32(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
}

struct FastDiv32 {
  uint32_t divisor = 1;
  uint32_t multiplier = 0;  // m = floor(2^32 (2^l - d) / d) + 1, l = ceil(log2 d)
  uint32_t shift = 0;       // l - 1 (0 when l = 0: d = 1, where multiplier = 0 gives n)

  // d >= 1.
  static FastDiv32 make(uint32_t d) {
    FastDiv32 f;
    f.divisor = d;
    uint32_t l = 0;
    while (l < 32 && (uint64_t{1} << l) < d) ++l;
    if (l == 0) return f;  // d == 1
    f.multiplier = static_cast<uint32_t>(((uint64_t{1} << 32) * ((uint64_t{1} << l) - d)) / d + 1);
    f.shift = l - 1;
    return f;
  }

  QCFG_HD uint32_t div(uint32_t n) const {
    if (divisor == 1) return n;
    const uint32_t t = mul_high_u32(n, multiplier);
    return (t + ((n - t) >> 1)) >> shift;
  }
  QCFG_HD uint32_t mod(uint32_t n) const { return n - div(n) * divisor; }
};

}  // namespace qcfg::cuda
