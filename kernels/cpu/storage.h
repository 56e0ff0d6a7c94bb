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

// Exact and straight-line: the 15 magnitude bits shifted into an fp32 exponent/mantissa position
// are the value times 2^-112 (normals: exponent field e -> e; subnormals m * 2^-24 -> m * 2^-136,
// an fp32 subnormal), so one multiplication by 2^112 restores it exactly; exponent 0x1f (inf and
// NaN, payload kept) takes the all-ones fp32 exponent instead. The multiplication needs
// subnormal inputs kept (no flush-to-zero: the default on host and device).
QCFG_HD float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t mag = static_cast<uint32_t>(h & 0x7fffu) << 13;
  const uint32_t finite = float_bits(bits_float(mag) * 0x1p112f);
  return bits_float((mag >= 0x0f800000u ? (mag | 0x7f800000u) : finite) | sign);
}

// On the device (sm_80+) the conversions to fp16 / bf16 are the hardware's round-to-nearest-even
// (cvt.rn): for every non-NaN input the value the software below computes (subnormals kept,
// overflow to inf); a NaN stays a NaN, possibly with another payload (tests treat NaNs alike).
QCFG_HD uint16_t float_to_half_bits(float f) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint16_t h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#else
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
#endif
}

QCFG_HD float bf16_bits_to_float(uint16_t b) { return bits_float(static_cast<uint32_t>(b) << 16); }

QCFG_HD uint16_t float_to_bf16_bits(float f) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  uint16_t h;
  asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
#else
  const uint32_t x = float_bits(f);
  if (is_nan(f)) return static_cast<uint16_t>((x >> 16) | 0x40u);
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
#endif
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
