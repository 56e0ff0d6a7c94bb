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
// Two at once (the kernels' pairs): on sm_89+ one conversion instruction each way for both
// (cvt.rn.satfinite.e4m3x2.f32 and back), the same hardware rounding as e4m3_satfinite.
QCFG_HD void e4m3_satfinite2(float& a, float& b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  const __nv_fp8x2_storage_t codes =
      __nv_cvt_float2_to_fp8x2(make_float2(a, b), __NV_SATFINITE, __NV_E4M3);
  const float2 f = __half22float2(__half2(__nv_cvt_fp8x2_to_halfraw2(codes, __NV_E4M3)));
  a = f.x;
  b = f.y;
#else
  a = e4m3_satfinite(a);
  b = e4m3_satfinite(b);
#endif
}
QCFG_HD uint8_t e4m3_code(float x, Overflow ovf) { return encode_minifloat(x, fmt_e4m3(), ovf); }
// e4m3_code(x, Overflow::torch_cast) with the hardware conversion on sm_89+ (one instruction
// instead of the branchy software encoder): for |x| <= 464 the torch cast and the satfinite
// conversion round alike (464 is the tie between 448 and the NaN code, going to 448's even
// code), so the hardware code is the software's (the rounding the GPU equality tests compare);
// above 464 and for inf the torch cast gives sign | 0x7f, for NaN 0x7f.
QCFG_HD uint8_t e4m3_code_torch_cast(float x) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 890
  const uint8_t hw = __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
  const uint8_t sign = static_cast<uint8_t>((float_bits(x) >> 24) & 0x80u);
  if (is_nan(x)) return 0x7f;
  return abs_f(x) > 464.0f ? static_cast<uint8_t>(sign | 0x7fu) : hw;
#else
  return e4m3_code(x, Overflow::torch_cast);
#endif
}
QCFG_HD float e4m3_value(uint8_t code) { return decode_minifloat(code, fmt_e4m3()); }

// E2M1 magnitude by index (the FP4 table).
QCFG_HD float e2m1_magnitude(uint32_t index) { return decode_minifloat(index & 7u, fmt_e2m1()); }

// E2M1 round-to-nearest-even of a magnitude; NaN and inf saturate to 6 (index 7). The *_grid
// forms are the definition (the generic grid rounding); the reference and the kernels call
// e2m1_round_magnitude / e2m1_index_rne below, straight-line code on the exponent bits (no
// data-dependent branch: branches cost issue slots in the kernels), defined for inputs with the
// sign bit clear (every caller passes a magnitude). tests/kernels/minifloat_fast_test.cpp proves
// them equal to the grid forms on every such fp32 input.
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

// ---- Rounding on the exponent bits, straight-line (the kernels' fast paths) ----------------
// For a magnitude a >= 0 of a ties-to-even grid with kMbits mantissa bits and smallest normal
// exponent kMinExp: e = max(exponent(a), kMinExp) is the grid exponent, the grid spacing there is
// 2^(e - kMbits), and M = 2^(e - kMbits + 23) is the power of two whose fp32 spacing is exactly
// that. a < 2^(e+1) puts a + M in [M, 2M), so the fp32 addition rounds a to a multiple of the grid
// spacing (to nearest; a tie goes to the even fp32 significand, i.e. to the even multiple, since M
// is an even multiple) and subtracting M is exact: (a + M) - M == round_to_grid(a).value. Three
// integer operations (exponent bits, max, add) and two additions; valid for finite a below
// 2^(max_exp + 1) (callers clamp to the format's max first). tests/kernels/minifloat_fast_test.cpp
// proves the forms below equal quantize_minifloat on every non-negative fp32 input.
template <int kMbits, int kMinExp>
QCFG_HD float grid_round_fast(float a) {
  constexpr uint32_t kMinBits = static_cast<uint32_t>(kMinExp + 127) << 23;
  constexpr uint32_t kShift = static_cast<uint32_t>(23 - kMbits) << 23;
  const uint32_t e = float_bits(a) & 0x7f800000u;
  const float m = bits_float((e > kMinBits ? e : kMinBits) + kShift);
  return (a + m) - m;
}

// Saturating forms for a with the sign bit clear (NaN included). saturate_all (the MX tables):
// NaN and everything above max give max (the comparison is false for NaN). satfinite (E4M3 /
// E5M2): NaN stays NaN (the comparison is false, the additions keep it NaN).
template <int kMbits, int kMinExp>
QCFG_HD float grid_round_saturate_all(float a, float max_value) {
  return grid_round_fast<kMbits, kMinExp>(a < max_value ? a : max_value);
}
template <int kMbits, int kMinExp>
QCFG_HD float grid_round_satfinite(float a, float max_value) {
  return grid_round_fast<kMbits, kMinExp>(a > max_value ? max_value : a);
}

// E2M1 round-to-nearest-even of a magnitude with the sign bit clear; NaN and inf saturate to 6:
// e2m1_round_magnitude_grid bit for bit.
QCFG_HD float e2m1_round_magnitude_fast(float a) { return grid_round_saturate_all<1, 0>(a, 6.0f); }

// The E2M1 code (0..7) of a grid value r in {0, 0.5, 1, 1.5, 2, 3, 4, 6}: for r >= 1 the biased
// exponent E (127..129) and the top mantissa bit t give code 2 (E - 126) + t, i.e. the top 10
// bits minus 252; below, code = 2r.
QCFG_HD uint32_t e2m1_code_of_value(float r) {
  const uint32_t hi = (float_bits(r) >> 22) - 0xfcu;
  const uint32_t lo = static_cast<uint32_t>(r + r);
  return r >= 1.0f ? hi : lo;
}
// The code straight from grid_round_fast's sum, without forming the rounded value (v4: about four
// instructions fewer per element for the NVFP4 packer): with e the exponent bits clamped to 2^0's
// and M = 2^(e - 127 + 22), the grid spacing is M's fp32 spacing and a < 2M, so
// k = bits(a + M) - bits(M) is the rounded a in spacings (0..2 below 1; 2..4 in [1, 2) and
// [2, 4); 2..3 in [4, 6]) and the code is k + 2 (e - 127) for e >= 127, k below. NaN and inf
// saturate (the comparison is false for NaN). Proven equal to e2m1_index_rne_grid on every
// sign-clear fp32 input (tests/kernels/exhaustive_test.cpp, minifloat_fast_test.cpp).
QCFG_HD uint32_t e2m1_index_rne_fast(float a) {
  const float s = a < 6.0f ? a : 6.0f;
  const uint32_t e = float_bits(s) & 0x7f800000u;
  const uint32_t ec = e > (127u << 23) ? e : (127u << 23);
  const uint32_t m = ec + (22u << 23);
  return (float_bits(s + bits_float(m)) - m) + ((ec >> 22) - 254u);
}
// v3's form (the code of the rounded value), kept as a second, independent derivation that the
// exhaustive test compares too.
QCFG_HD uint32_t e2m1_index_rne_via_value(float a) {
  return e2m1_code_of_value(e2m1_round_magnitude_fast(a));
}

QCFG_HD float e2m1_round_magnitude(float a) { return e2m1_round_magnitude_fast(a); }
QCFG_HD uint32_t e2m1_index_rne(float a) { return e2m1_index_rne_fast(a); }

// MXFP4 real quant (MXFP4QTensor.cast_fp4): index = number of E2M1 decision bounds strictly below
// |v|, i.e. ties round down. NaN compares false everywhere => index 0.
QCFG_HD uint32_t e2m1_index_ties_down(float a) {
  const float bounds[7] = {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f};
  uint32_t index = 0;
  for (float b : bounds) index += a > b ? 1u : 0u;
  return index;
}

}  // namespace qcfg::numerics
