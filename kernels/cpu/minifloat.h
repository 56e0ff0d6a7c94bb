// Small floating-point element formats (FP8 E4M3/E5M2, FP4 E2M1, FP6 and the other MX table
// formats): rounding from fp32 in one step, encoding and decoding. Every format is described as
// a binary grid: below 2^min_exp the spacing is 2^(min_exp - mbits) (subnormals), in the binade
// [2^e, 2^(e+1)) it is 2^(e - mbits). Rounding to the grid is then rint(a / spacing), which is
// exact because the spacing is a power of two, and ties-to-even on the integer multiple is
// ties-to-even on the code.
#pragma once

#include "kernels/cpu/hd.h"

#if defined(__CUDACC__)
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#endif

namespace qcfg::numerics {

struct MiniFloatFormat {
  int mbits;           // mantissa bits
  int min_exp;         // exponent of the smallest normal binade (1 - bias)
  int max_exp;         // exponent of the largest binade holding finite values
  int magnitude_bits;  // sign bit position
  float max_value;     // largest finite magnitude
  bool ties_away;      // E3M0 rounds ties away from zero, all others to even
  uint8_t nan_code;    // magnitude code used for NaN (0 if the format has none)
};

QCFG_HD constexpr MiniFloatFormat fmt_e4m3() {
  return MiniFloatFormat{3, -6, 8, 7, 448.0f, false, 0x7f};
}
QCFG_HD constexpr MiniFloatFormat fmt_e5m2() {
  return MiniFloatFormat{2, -14, 15, 7, 57344.0f, false, 0x7f};
}
QCFG_HD constexpr MiniFloatFormat fmt_e2m1() { return MiniFloatFormat{1, 0, 2, 3, 6.0f, false, 0}; }
QCFG_HD constexpr MiniFloatFormat fmt_e3m2() {
  return MiniFloatFormat{2, -2, 4, 5, 28.0f, false, 0};
}
QCFG_HD constexpr MiniFloatFormat fmt_e2m3() { return MiniFloatFormat{3, 0, 2, 5, 7.5f, false, 0}; }
QCFG_HD constexpr MiniFloatFormat fmt_e1m2() { return MiniFloatFormat{2, 1, 1, 3, 3.5f, false, 0}; }
QCFG_HD constexpr MiniFloatFormat fmt_e0m3() {
  return MiniFloatFormat{2, 2, 2, 3, 7.0f, false, 0};
}  // integers 0..7
QCFG_HD constexpr MiniFloatFormat fmt_e3m0() {
  return MiniFloatFormat{0, -2, 4, 3, 16.0f, true, 0};
}

// Host-side names (device code calls the functions: constexpr objects are not visible there).
inline constexpr MiniFloatFormat kE4M3 = fmt_e4m3();
inline constexpr MiniFloatFormat kE5M2 = fmt_e5m2();
inline constexpr MiniFloatFormat kE2M1 = fmt_e2m1();
inline constexpr MiniFloatFormat kE3M2 = fmt_e3m2();
inline constexpr MiniFloatFormat kE2M3 = fmt_e2m3();
inline constexpr MiniFloatFormat kE1M2 = fmt_e1m2();
inline constexpr MiniFloatFormat kE0M3 = fmt_e0m3();
inline constexpr MiniFloatFormat kE3M0 = fmt_e3m0();

// What happens to values beyond the format's range (and to inf/NaN).
enum class Overflow : uint8_t {
  satfinite,    // CUDA __nv_fp8 satfinite: +-max; NaN stays NaN
  torch_cast,   // tensor.to(float8_e4m3fn): rounds past max => NaN; (E5M2: inf)
  saturate_all  // MX table formats: +-max, NaN counts as +inf
};

struct GridPoint {
  float value;    // rounded magnitude
  uint32_t code;  // magnitude code
};

// Exponent of the binade of a finite a >= 0, clamped below at fmt.min_exp.
QCFG_HD int grid_exponent(float a, const MiniFloatFormat& fmt) {
  const int e = static_cast<int>((float_bits(a) >> 23) & 0xffu) - 127;
  return e < fmt.min_exp ? fmt.min_exp : e;
}

// Round a finite magnitude a >= 0 to the grid, ignoring the upper limit (the caller checks
// value > max_value). Inputs far above the range are clipped to 2^(max_exp+1), which is above
// every format's max and still exactly representable.
QCFG_HD GridPoint round_to_grid(float a, const MiniFloatFormat& fmt) {
  const float limit = pow2f(fmt.max_exp + 1);
  if (a >= limit) return GridPoint{limit, 0xffffffffu};
  const int e = grid_exponent(a, fmt);
  const float scaled = a * pow2f(fmt.mbits - e);  // exact: multiplication by a power of two
  const float n =
      fmt.ties_away ? static_cast<float>(static_cast<int>(scaled + 0.5f)) : rint_f(scaled);
  const float value = n * pow2f(e - fmt.mbits);  // exact
  const uint32_t code =
      (static_cast<uint32_t>(e - fmt.min_exp) << fmt.mbits) + static_cast<uint32_t>(n);
  return GridPoint{value, code};
}

// Round x to the format and return the value as fp32 (sign kept, -0 stays -0).
QCFG_HD float quantize_minifloat(float x, const MiniFloatFormat& fmt, Overflow ovf) {
  const uint32_t sign = float_bits(x) & 0x80000000u;
  if (is_nan(x)) return ovf == Overflow::saturate_all ? fmt.max_value : x;
  const float a = abs_f(x);
  float v;
  if (!is_finite(a)) {
    v = (ovf == Overflow::torch_cast)
            ? (fmt.nan_code == 0x7f && fmt.mbits == 3 ? bits_float(0x7fc00000u) : a)
            : fmt.max_value;
  } else {
    v = round_to_grid(a, fmt).value;
    if (v > fmt.max_value) {
      if (ovf != Overflow::torch_cast) {
        v = fmt.max_value;
      } else {
        v = fmt.mbits == 3 ? bits_float(0x7fc00000u)
                           : bits_float(0x7f800000u);  // E4M3: NaN, E5M2: inf
      }
    }
  }
  return bits_float(float_bits(v) | sign);
}

// Encode x as a code byte: sign << magnitude_bits | magnitude code.
QCFG_HD uint8_t encode_minifloat(float x, const MiniFloatFormat& fmt, Overflow ovf) {
  const uint32_t sign_bit = (float_bits(x) >> 31) << fmt.magnitude_bits;
  const uint32_t max_code = (1u << fmt.magnitude_bits) - 1u;
  if (is_nan(x)) {
    if (ovf == Overflow::saturate_all || fmt.nan_code == 0) return static_cast<uint8_t>(max_code);
    return fmt.nan_code;
  }
  const float a = abs_f(x);
  const bool fp8 = fmt.nan_code != 0;
  // Largest finite code: E4M3 0x7e (0x7f is NaN), E5M2 0x7b (0x7c.. are inf/NaN), tables: all ones.
  const uint32_t max_finite = fp8 ? (fmt.mbits == 3 ? 0x7eu : 0x7bu) : max_code;
  uint32_t code;
  if (!is_finite(a)) {
    code = ovf == Overflow::torch_cast ? (fmt.mbits == 3 ? 0x7fu : 0x7cu) : max_finite;
  } else {
    const GridPoint p = round_to_grid(a, fmt);
    if (p.value > fmt.max_value) {
      code = ovf == Overflow::torch_cast ? (fmt.mbits == 3 ? 0x7fu : 0x7cu) : max_finite;
    } else {
      code = p.code;
    }
  }
  return static_cast<uint8_t>(sign_bit | code);
}

// Decode a code byte (E4M3 0x7f/0xff => NaN; E5M2 inf/NaN codes honoured).
QCFG_HD float decode_minifloat(uint32_t code, const MiniFloatFormat& fmt) {
  const uint32_t mag_mask = (1u << fmt.magnitude_bits) - 1u;
  const bool negative = (code >> fmt.magnitude_bits) & 1u;
  const uint32_t mag = code & mag_mask;
  float v;
  if (fmt.nan_code != 0 && fmt.mbits == 3 && mag == 0x7fu) {
    v = bits_float(0x7fc00000u);
  } else if (fmt.nan_code != 0 && fmt.mbits == 2 && mag >= 0x7cu) {
    v = mag == 0x7cu ? bits_float(0x7f800000u) : bits_float(0x7fc00000u);
  } else {
    const uint32_t e_field = mag >> fmt.mbits;
    const uint32_t m = mag & ((1u << fmt.mbits) - 1u);
    if (e_field == 0) {
      v = static_cast<float>(m) * pow2f(fmt.min_exp - fmt.mbits);
    } else {
      v = static_cast<float>((1u << fmt.mbits) + m) *
          pow2f(fmt.min_exp + static_cast<int>(e_field) - 1 - fmt.mbits);
    }
  }
  return negative ? neg_f(v) : v;
}

// Convenience wrappers for the formats used most.
// On sm_89+ the hardware conversion (cvt.rn.satfinite.e4m3) computes the same value in two
// instructions; the GPU tests compare it with the software rounding over 10^8 inputs.
QCFG_HD float e4m3_satfinite(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  const __nv_fp8_storage_t code = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
  return __half2float(__half(__nv_cvt_fp8_to_halfraw(code, __NV_E4M3)));
#else
  return quantize_minifloat(x, fmt_e4m3(), Overflow::satfinite);
#endif
}
QCFG_HD uint8_t e4m3_code(float x, Overflow ovf) { return encode_minifloat(x, fmt_e4m3(), ovf); }
QCFG_HD float e4m3_value(uint8_t code) { return decode_minifloat(code, fmt_e4m3()); }

// E2M1 magnitude by index (the FP4 table).
QCFG_HD float e2m1_magnitude(uint32_t index) { return decode_minifloat(index & 7u, fmt_e2m1()); }

// E2M1 round-to-nearest-even of a magnitude; NaN and inf saturate to 6 (index 7). The *_grid
// forms are the definition (the generic grid rounding); the reference and the kernels call the
// forms below them, which take the common inputs [0, 8) through straight-line code on the
// exponent bits (no data-dependent branch: they cost issue slots in the kernels) and everything
// else through the definition. tests/kernels/minifloat_fast_test.cpp proves them equal.
QCFG_HD float e2m1_round_magnitude_grid(float a) {
  if (!is_finite(a)) return 6.0f;
  const float v = round_to_grid(a, fmt_e2m1()).value;
  return v > 6.0f ? 6.0f : v;
}
QCFG_HD uint32_t e2m1_index_rne_grid(float a) {
  if (!is_finite(a)) return 7u;
  const GridPoint p = round_to_grid(a, fmt_e2m1());
  return p.value > 6.0f ? 7u : p.code;
}

// For 0 <= a < 8 (and -0): grid exponent e = max(exponent(a), 0) in {0, 1, 2}, spacing 2^(e-1);
// a * 2^(1-e) and n * 2^(e-1) are exact, rint breaks ties to even, i.e. to the even code.
QCFG_HD int e2m1_binade(float a) {
  const int biased = static_cast<int>((float_bits(a) >> 23) & 0xffu);
  return biased > 127 ? biased - 127 : 0;
}
QCFG_HD float e2m1_grid_steps(float a, int e) {  // rint(a / 2^(e-1))
  return rint_f(a * bits_float(static_cast<uint32_t>(128 - e) << 23));
}
QCFG_HD float e2m1_round_magnitude(float a) {
  if (!(a >= 0.0f && a < 8.0f)) return e2m1_round_magnitude_grid(a);  // NaN, inf, >= 8, < 0
  const int e = e2m1_binade(a);
  const float v = e2m1_grid_steps(a, e) * bits_float(static_cast<uint32_t>(126 + e) << 23);
  return v > 6.0f ? 6.0f : v;
}
QCFG_HD uint32_t e2m1_index_rne(float a) {
  if (!(a >= 0.0f && a < 8.0f)) return e2m1_index_rne_grid(a);
  const int e = e2m1_binade(a);
  const uint32_t code =
      (static_cast<uint32_t>(e) << 1) + static_cast<uint32_t>(e2m1_grid_steps(a, e));
  return code > 7u ? 7u : code;  // 6 <= a < 8 may round to 8, which saturates like the grid's
}

// MXFP4 real quant (MXFP4QTensor.cast_fp4): index = number of E2M1 decision bounds strictly below
// |v|, i.e. ties round down. NaN compares false everywhere => index 0.
QCFG_HD uint32_t e2m1_index_ties_down(float a) {
  const float bounds[7] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f};
  uint32_t index = 0;
  for (float b : bounds) index += a > b ? 1u : 0u;
  return index;
}

}  // namespace qcfg::numerics
