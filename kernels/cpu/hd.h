// Host/device portability for the scalar numerics shared by the CPU reference and the CUDA
// kernels. Sharing one definition of every per-element formula is what makes the CUDA kernels
// bit-exact to the CPU reference by construction (both compile with FMA contraction off).
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define QCFG_HD __host__ __device__ __forceinline__
#else
#define QCFG_HD inline
#include <cmath>
#endif

namespace qcfg::numerics {

QCFG_HD uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  std::memcpy(&u, &f, sizeof u);
  return u;
#endif
}

QCFG_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
#endif
}

QCFG_HD bool is_nan(float x) { return (float_bits(x) & 0x7fffffffu) > 0x7f800000u; }
QCFG_HD bool is_finite(float x) { return (float_bits(x) & 0x7f800000u) != 0x7f800000u; }
// |x| (the sign bit cleared, NaN payload kept); on the device fabsf, which the compiler folds
// into the consuming instruction as an operand modifier.
QCFG_HD float abs_f(float x) {
#if defined(__CUDA_ARCH__)
  return fabsf(x);
#else
  return bits_float(float_bits(x) & 0x7fffffffu);
#endif
}
QCFG_HD float neg_f(float x) { return bits_float(float_bits(x) ^ 0x80000000u); }

// Round half to even to an integral value (C rint under the default rounding mode).
QCFG_HD float rint_f(float x) {
#if defined(__CUDA_ARCH__)
  return rintf(x);
#else
  return std::nearbyint(x);
#endif
}

// Fused multiply-add with one rounding (never contracted or split: explicit on both sides).
QCFG_HD float fma_f(float a, float b, float c) {
#if defined(__CUDA_ARCH__)
  return __fmaf_rn(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// Exact 2^k as fp32 for k in [-149, 127] (subnormal powers included).
QCFG_HD float pow2f(int k) {
  if (k >= -126) return bits_float(static_cast<uint32_t>(k + 127) << 23);
  return bits_float(1u << (k + 149));
}

// max that skips NaN like CUDA fmaxf: the block-max convention of every block-scale formula.
QCFG_HD float fmax_nan_skip(float a, float b) {
  if (is_nan(a)) return b;
  if (is_nan(b)) return a;
  return a > b ? a : b;
}

// Clamp that propagates NaN (torch.clamp semantics).
QCFG_HD float clamp_keep_nan(float v, float lo, float hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// clamp_keep_nan for lo < 0 < hi (the signed integer ranges). No comparison then has two zeros
// (the one case where IEEE minimum / maximum, -0 < +0, and the C comparisons differ), so on sm_80+
// the NaN-propagating min.NaN / max.NaN (one instruction each, against a compare and a select
// each) give the same value for every non-NaN v; a NaN comes out as a NaN (the canonical one:
// sign and payload are not kept, which no caller observes: int_dequant's FMAs and division
// already return the canonical NaN on the GPU). The host runs clamp_keep_nan itself.
QCFG_HD float clamp_keep_nan_signed(float v, float lo, float hi) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
  float r;
  asm("min.NaN.f32 %0, %1, %2;" : "=f"(r) : "f"(v), "f"(hi));
  asm("max.NaN.f32 %0, %0, %1;" : "+f"(r) : "f"(lo));
  return r;
#else
  return clamp_keep_nan(v, lo, hi);
#endif
}

}  // namespace qcfg::numerics
