// fp16 / bf16 storage types and their exact conversions to/from fp32 (RNE, NaN kept quiet).
#pragma once

#include "kernels/cpu/hd.h"

namespace qcfg::numerics {

struct Half {
  uint16_t bits;
};
struct BFloat16 {
  uint16_t bits;
};
static_assert(sizeof(Half) == 2 && sizeof(BFloat16) == 2, "storage types must be 16-bit PODs");

QCFG_HD float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t man = h & 0x3ffu;
  if (exp == 0x1f) return bits_float(sign | 0x7f800000u | (man << 13));
  if (exp == 0) {
    // Subnormal (or zero): man * 2^-24, exact in fp32.
    const float mag = static_cast<float>(man) * pow2f(-24);
    return bits_float(sign | float_bits(mag));
  }
  return bits_float(sign | ((exp + 112u) << 23) | (man << 13));
}

QCFG_HD uint16_t float_to_half_bits(float f) {
  const uint32_t x = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return sign | 0x7e00u | static_cast<uint16_t>((ax >> 13) & 0x3ffu);
  if (ax >= 0x477ff000u) return sign | 0x7c00u;  // >= 65520 rounds (ties-even) to inf
  if (ax < 0x38800000u) {
    // Below the fp16 normal range: the grid is 2^-24; scaling by 2^24 is exact.
    const float n = rint_f(bits_float(ax) * pow2f(24));
    return sign | static_cast<uint16_t>(n);  // n == 1024 is the smallest normal, encoded alike
  }
  const uint32_t rounded = ax + 0xfffu + ((ax >> 13) & 1u);
  return sign | static_cast<uint16_t>((rounded - (112u << 23)) >> 13);
}

QCFG_HD float bf16_bits_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

QCFG_HD uint16_t float_to_bf16_bits(float f) {
  const uint32_t x = float_bits(f);
  if (is_nan(f)) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

QCFG_HD float to_float(float v) { return v; }
QCFG_HD float to_float(Half v) { return half_bits_to_float(v.bits); }
QCFG_HD float to_float(BFloat16 v) { return bf16_bits_to_float(v.bits); }

template <class T>
QCFG_HD T from_float(float v);
template <>
QCFG_HD float from_float<float>(float v) {
  return v;
}
template <>
QCFG_HD Half from_float<Half>(float v) {
  return Half{float_to_half_bits(v)};
}
template <>
QCFG_HD BFloat16 from_float<BFloat16>(float v) {
  return BFloat16{float_to_bf16_bits(v)};
}

// Round an fp32 value to the precision of storage type T (and back).
template <class T>
QCFG_HD float round_to(float v) {
  return to_float(from_float<T>(v));
}

}  // namespace qcfg::numerics
