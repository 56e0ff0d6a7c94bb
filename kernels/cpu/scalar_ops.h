// Per-element and per-block formulas of the numerics spec, shared verbatim by the CPU reference
// and the CUDA kernels. Every line is one fp32 operation rounded to nearest even, in the order
// the spec prescribes; comments cite the spec section.
#pragma once

#include "kernels/cpu/div_full.h"
#include "kernels/cpu/minifloat.h"

namespace qcfg::numerics {

// ---------------------------------------------------------------- block maxima
// |x|'s bits, or 0 for a NaN: the unsigned max of these over a block (from 0), read back as a
// float, is the NaN-skipping block max fmax_nan_skip(... fmax_nan_skip(0, |x0|) ..., |xn|), since
// for non-NaN magnitudes the bit order is the value order. The v4 block kernels merge the lanes'
// shares of a block this way with warp shuffles (tests/kernels/exhaustive_test.cpp checks it on
// every fp32 x against two accumulators).
QCFG_HD uint32_t nan_skipping_magnitude_bits(float x) {
  const uint32_t b = float_bits(x) & 0x7fffffffu;
  return b > 0x7f800000u ? 0u : b;
}

// ---------------------------------------------------------------- integers (spec §1.6, §2)
struct IntRange {
  float min_bound;
  float max_bound;
};

QCFG_HD IntRange int_range(int num_bits, bool is_unsigned, bool narrow_range) {
  const float max_bound = static_cast<float>((1 << (num_bits - 1 + (is_unsigned ? 1 : 0))) - 1);
  const float min_bound = is_unsigned ? 0.0f : (narrow_range ? -max_bound : -max_bound - 1.0f);
  return IntRange{min_bound, max_bound};
}

// Which tiny-amax rule zeroes a channel: Python `amax <= 2^-24` or CUDA `amax < 2^-24`.
enum class TinyAmaxRule : uint8_t { python_le, cuda_lt };

QCFG_HD bool int_amax_is_tiny(float amax, TinyAmaxRule rule) {
  const float eps = pow2f(-24);
  return rule == TinyAmaxRule::python_le ? amax <= eps : amax < eps;
}

// q = clamp(rint(x * scale)), y = q / scale (a division by the fp32 scale, spec §2).
QCFG_HD float int_qdq(float x, float scale, IntRange r) {
  const float q = clamp_keep_nan(rint_f(x * scale), r.min_bound, r.max_bound);
  return q / scale;
}

// The same division q / scale by a reciprocal prepared once per scale, for the integer-valued
// q of int_qdq (|q| <= 256, +-0 or NaN): q0 = RN(q * r) with r = RN(1 / scale), the residual
// e = q - q0 * scale (exact: one FMA), q1 = RN(q0 + e * r) (one FMA), with q = -0 giving -0 as
// the division does (rcp_fma_quotient). For 2^-100 <= scale <= 2^100 (no step
// overflows or underflows) this equals the IEEE division on every such input: both scale
// exactly with powers of two of q and of scale, so tests/kernels/exhaustive_test.cpp checks
// every odd |q| < 256 against every scale of [1, 2). Other scales divide.
struct IntDivisor {
  float scale;
  float rcp;
  bool fast;  // 2^-100 <= scale <= 2^100
};

QCFG_HD IntDivisor int_divisor(float scale) {
  const bool fast = scale >= 0x1p-100f && scale <= 0x1p100f;
  return IntDivisor{scale, fast ? 1.0f / scale : 0.0f, fast};
}

// x / d from rcp = 1 / d: the product, one FMA residual, one FMA correction. Exact only in the
// ranges int_dequant and narrow_div prove for it. The residual is taken negated, r = q0 d - x
// (v5: three instructions instead of four, the negations being operand modifiers): r is exactly
// -(x - q0 d) (round to nearest is symmetric), so fma(-r, rcp, q0) is the correction of the
// residual x - q0 d for every nonzero x (an exact-zero residual gives q0 either way), and the
// zeros come out with x's sign without the sign-bit OR the first form needed: x = -0 gives
// q0 = -0, r = -0 + +0 = +0, -r * rcp + q0 = -0 + -0 = -0 (the first form's residual -q0 d + x
// gave +0 there, and +0 for the quotient). The exhaustive tests compare it with the IEEE division
// on every input they cover, signed zeros included.
QCFG_HD float rcp_fma_quotient(float x, float d, float rcp) {
  const float q0 = x * rcp;
  const float r = fma_f(q0, d, -x);
  return fma_f(-r, rcp, q0);
}

QCFG_HD float int_dequant(float q, const IntDivisor& d) {
  if (!d.fast) return q / d.scale;
  return rcp_fma_quotient(q, d.scale, d.rcp);
}

// int_qdq with the divisor prepared: bit-identical.
QCFG_HD float int_qdq(float x, const IntDivisor& d, IntRange r) {
  const float q = clamp_keep_nan(rint_f(x * d.scale), r.min_bound, r.max_bound);
  return int_dequant(q, d);
}
// The same for a signed range (r.min_bound < 0 < r.max_bound), the clamp by min / max
// (clamp_keep_nan_signed): the same values, NaN in gives NaN out.
QCFG_HD float int_qdq_signed(float x, const IntDivisor& d, IntRange r) {
  const float q = clamp_keep_nan_signed(rint_f(x * d.scale), r.min_bound, r.max_bound);
  return int_dequant(q, d);
}

// x / d for an x of at most 11 significant bits (every bf16 and every fp16 value) by the same
// sequence, for the export packings: equal to the IEEE division when 2^-40 <= d <= 2^40
// (NarrowDivisor::fast) and x is 0 or 2^-60 <= |x| <= 2^60 (narrow_div_in_range; not inf or
// NaN). tests/kernels/exhaustive_test.cpp checks every odd q < 2048 (every 11-bit significand is
// one times a power of two) against every divisor of [1, 2); in these ranges every step of both
// sides stays normal, so both scale exactly with the powers of two of x and d.
struct NarrowDivisor {
  float d;
  float rcp;
  bool fast;  // 2^-40 <= d <= 2^40
};

QCFG_HD NarrowDivisor narrow_divisor(float d) {
  const bool fast = d >= 0x1p-40f && d <= 0x1p40f;
  return NarrowDivisor{d, fast ? 1.0f / d : 0.0f, fast};
}

QCFG_HD bool narrow_div_in_range(float x) {
  const uint32_t t = float_bits(x) & 0x7fffffffu;
  return t == 0 || (t - 0x21800000u) <= 0x3c000000u;  // 2^-60 = 0x21800000, 2^60 = 0x5d800000
}

QCFG_HD float narrow_div(float x, const NarrowDivisor& d) {
  return rcp_fma_quotient(x, d.d, d.rcp);
}

// Export code of an integer format (§10.1): x / scale rounded and clamped; NaN has no integer code
// and packs as 0.
QCFG_HD int8_t int_export_code_of_quotient(float v, IntRange r) {
  const float q = clamp_keep_nan(rint_f(v), r.min_bound, r.max_bound);
  return is_nan(q) ? int8_t{0} : static_cast<int8_t>(q);
}
QCFG_HD int8_t int_export_code(float x, float scale, IntRange r) {
  return int_export_code_of_quotient(x / scale, r);
}

// Output of a channel whose amax is tiny: Python keeps the input's sign, CUDA returns +0.
QCFG_HD float int_tiny_output(float x, TinyAmaxRule rule) {
  return rule == TinyAmaxRule::python_le ? bits_float(float_bits(x) & 0x80000000u) : 0.0f;
}

// ---------------------------------------------------------------- FP8 E4M3 (spec §3)
struct Fp8Scale {
  float scale;  // f32(448 / a)
  float inv;    // f32(1 / scale)
};

QCFG_HD Fp8Scale fp8_scale(float amax) {
  const float a = amax <= pow2f(-24) ? 1.0f : amax;
  const float scale = 448.0f / a;
  return Fp8Scale{scale, 1.0f / scale};
}

QCFG_HD float fp8_qdq(float x, Fp8Scale s) { return e4m3_satfinite(x * s.scale) * s.inv; }
// Two elements with one scale (the kernels' pairs): fp8_qdq on each, bit for bit.
QCFG_HD void fp8_qdq2(float& a, float& b, Fp8Scale s) {
  a = a * s.scale;
  b = b * s.scale;
  e4m3_satfinite2(a, b);
  a = a * s.inv;
  b = b * s.inv;
}

// ---------------------------------------------------------------- NVFP4 (spec §4.2, §5.2)
// Sign re-application of the Triton kernels: x >= 0 => +, so -0 => +0 and NaN => negative.
QCFG_HD float apply_sign_ge0(float x, float magnitude) {
  return x >= 0.0f ? magnitude : neg_f(magnitude);
}

// The same in ModelOpt 0.47's dynamic NVFP4 kernel (fp4_kernel_hopper.py): where(x >= 0, r, -r)
// with Triton's unary minus, which is 0 - r, so every zero it writes is +0, also for negative x
// that round to zero (docs/numerics.md, NVFP4 fake quant on the GPU).
QCFG_HD float apply_sign_ge0_triton(float x, float magnitude) {
  return x >= 0.0f ? magnitude : 0.0f - magnitude;
}

// y = sign(x) * f32(E2M1(f32(|x| / s)) * s), the division being Triton's div.full.f32.
QCFG_HD float e2m1_qdq_div(float x, float s) {
  return apply_sign_ge0_triton(x, e2m1_round_magnitude(div_full(abs_f(x), s)) * s);
}
// The same with the block scale's reciprocal prepared once per block (div_full.h): bit-identical.
QCFG_HD float e2m1_qdq_div(float x, const DivFullDivisor& s) {
  return apply_sign_ge0_triton(x, e2m1_round_magnitude(div_full(abs_f(x), s)) * s.y);
}
// The same for a plain divisor (d.plain: div_full(a, d) is the product a * d.rcp rounded to
// nearest, canonical NaN aside, which e2m1_round_magnitude saturates like any NaN): one FMUL, the
// straight-line rounding, one FMUL and the sign, no branch. Equal to e2m1_qdq_div(x, d) for every
// x (tests/kernels/minifloat_fast_test.cpp).
QCFG_HD float e2m1_qdq_plain(float x, float rcp, float s) {
  return apply_sign_ge0_triton(x, e2m1_round_magnitude(abs_f(x) * rcp) * s);
}

// ModelOpt's per-tensor scales are amax x f32(1/bound), not amax / bound: PyTorch divides a CUDA
// tensor by a Python number by multiplying with the float32 reciprocal (docs/numerics.md,
// "ModelOpt 0.47 behaviours"); the two differ by one ulp for many amax.
QCFG_HD float times_reciprocal(float amax, float bound) { return amax * (1.0f / bound); }

// NVFP4's per-tensor scale (weight_scale_2, and the fake quant's global scale): G x f32(1/2688).
QCFG_HD float nvfp4_weight_scale_2(float global_amax) {
  return times_reciprocal(global_amax, 6.0f * 448.0f);
}

QCFG_HD float nvfp4_global_scale(float global_amax) {
  const float gs = nvfp4_weight_scale_2(global_amax);
  return gs > 0.0f ? gs : 1e-12f;  // `not gs > 0` also catches NaN
}

// Dequantized block scale of the canonical (Triton) dynamic path.
QCFG_HD float nvfp4_dynamic_block_scale(float block_max, float gs) {
  float sr = div_full(block_max, 6.0f * gs);  // Triton's float32 `/`
  sr = sr < 448.0f ? sr : (is_nan(sr) ? sr : 448.0f);
  const float s = e4m3_satfinite(sr) * gs;
  return s >= 1e-5f ? s : 1.0f;  // quirk §12.2; NaN => 1
}

// Static NVFP4: the FP8 fake quant (§3) of s_raw = a_b/6 against A = G*(448/N)/6. Both
// divisions are a CUDA tensor divided by a Python number in ModelOpt's compute_fp4_scales
// (fp4_kernel.py), i.e. a multiplication by f32(1/6).
QCFG_HD Fp8Scale nvfp4_static_scale_quantizer(float global_amax, float norm) {
  const float a = times_reciprocal(global_amax * (448.0f / norm), 6.0f);
  return fp8_scale(a);
}

QCFG_HD float nvfp4_static_block_scale(float block_amax, Fp8Scale scale_q) {
  const float s_raw = times_reciprocal(block_amax, 6.0f);
  const float s = fp8_qdq(s_raw, scale_q);
  return is_finite(s) ? s : 1.0f;
}

// s == 0 => block output 0 (spec §5.2).
QCFG_HD float nvfp4_static_qdq(float x, float s) { return s == 0.0f ? 0.0f : e2m1_qdq_div(x, s); }

// NVFP4 export (spec §10.3): E4M3 code of a per-block scale ratio (clamp to [2^-9, 448], then the
// PyTorch cast) and the 4-bit code of one element (negative values rounding to 0 keep sign 0x8).
QCFG_HD uint8_t nvfp4_pack_scale_code(float pbs) {
  return e4m3_code_torch_cast(clamp_keep_nan(pbs, pow2f(-9), 448.0f));
}
QCFG_HD uint8_t nvfp4_pack_nibble_of_quotient(float v) {
  const uint32_t sign = v < 0.0f ? 8u : 0u;
  return static_cast<uint8_t>(sign | e2m1_index_rne(abs_f(v)));
}
QCFG_HD uint8_t nvfp4_pack_nibble(float x, float denom) {
  return nvfp4_pack_nibble_of_quotient(x / denom);
}
// Dynamic path: block scale ratio from the block max; an all-zero block gets ratio 1.
QCFG_HD float nvfp4_pack_dynamic_ratio(float block_max, float denom) {
  const float pbs = block_max / denom;
  return pbs == 0.0f ? 1.0f : pbs;
}

// ---------------------------------------------------------------- MX / E8M0 (spec §4.1, §10.5)
enum class MxElement : uint8_t { e2m1, e3m2, e2m3, e1m2, e0m3, e3m0, e4m3, e5m2, int8 };

QCFG_HD MiniFloatFormat mx_minifloat(MxElement e) {
  switch (e) {
    case MxElement::e2m1:
      return fmt_e2m1();
    case MxElement::e3m2:
      return fmt_e3m2();
    case MxElement::e2m3:
      return fmt_e2m3();
    case MxElement::e1m2:
      return fmt_e1m2();
    case MxElement::e0m3:
      return fmt_e0m3();
    case MxElement::e3m0:
      return fmt_e3m0();
    case MxElement::e4m3:
      return fmt_e4m3();
    case MxElement::e5m2:
      return fmt_e5m2();
    default:
      return fmt_e4m3();  // int8 has no minifloat grid
  }
}

QCFG_HD float mx_element_max(MxElement e) {
  return e == MxElement::int8 ? 127.0f : mx_minifloat(e).max_value;
}

// Shared exponent k of a block (the "ceil" rule of the CUDA extension, spec §4.1).
QCFG_HD int mx_fake_exponent(float block_max, MxElement e) {
  if (block_max == 0.0f || !is_finite(block_max)) return 0;
  const float r = block_max / mx_element_max(e);
  const uint32_t b = float_bits(r);
  const int exp_field = static_cast<int>((b >> 23) & 0xffu);
  const uint32_t frac = b & 0x7fffffu;
  const bool floor_rule = frac == 0 || exp_field == 0xfe || (exp_field == 0 && frac <= 0x400000u);
  return floor_rule ? exp_field - 127 : exp_field - 126;
}

// mx_fake_exponent with the element format fixed at compile time, from the bits of block_max
// alone (v5: no IEEE division; ~8 integer instructions per block instead of ~25). For a normal
// r = RN(block_max / M), the rule gives k = ceil(log2 r) (the floor rule is the case r = 2^k), and
// RN(q) <= 2^j iff q <= 2^j (1 + 2^-24) (a tie rounds to 2^j, whose significand is even), i.e.
// block_max <= M 2^j (1 + 2^-24), i.e. block_max <= M 2^j, since M 2^j (1 + 2^-24) lies less than
// one ulp above M 2^j: so k is the least j with block_max <= M 2^j, which is the exponent
// difference of block_max and M plus one when block_max's mantissa field is the larger. Below,
// r <= 2^-127 (subnormal, k = -127) iff block_max <= M 2^-127 (1 + 2^-23), whose round-down is
// the float just above M 2^-127 (M 2^-127 is normal for every M >= 2). Zero, inf and NaN give 0,
// as there. Equal to mx_fake_exponent on every sign-clear fp32 input
// (tests/kernels/exhaustive_test.cpp, all 2^31 of them for each format).
template <MxElement kE>
QCFG_HD int mx_fake_exponent_fast(float block_max) {
  const uint32_t m = float_bits(mx_element_max(kE));  // biased exponent >= 128 (M >= 3.5)
  const uint32_t b = float_bits(block_max);
  if (b == 0u || b >= 0x7f800000u) return 0;
  if (b <= m - (127u << 23) + 1u) return -127;  // bits of M 2^-127, plus one ulp
  const int above = (b & 0x7fffffu) > (m & 0x7fffffu) ? 1 : 0;
  return static_cast<int>(b >> 23) - static_cast<int>(m >> 23) + above;
}

QCFG_HD int highest_set_bit(uint32_t v) {
#if defined(__CUDA_ARCH__)
  return 31 - __clz(static_cast<int>(v));
#else
  return 31 - __builtin_clz(v);
#endif
}

// Exponent of the real-quant path: ceil(log2(f32(bm/max))) clamped to [-127, 127], computed
// exactly from the bits (the reference's double log2 is exact here); zero block => -127.
QCFG_HD int mx_real_exponent(float block_max, float element_max) {
  if (!is_finite(block_max)) return 0;  // not specified by ModelOpt; matches the fake path
  const float r = block_max / element_max;
  if (r == 0.0f) return -127;
  const uint32_t b = float_bits(r);
  const int exp_field = static_cast<int>((b >> 23) & 0xffu);
  const uint32_t frac = b & 0x7fffffu;
  int k;
  if (exp_field == 0) {  // subnormal r = frac * 2^-149
    const int top = highest_set_bit(frac);
    k = top - 149 + ((frac & (frac - 1u)) != 0u ? 1 : 0);
  } else {
    k = exp_field - 127 + (frac != 0u ? 1 : 0);
  }
  return k < -127 ? -127 : (k > 127 ? 127 : k);
}

// Q_fmt of a magnitude v >= 0 (NaN/inf saturate for tables; E4M3/E5M2 satfinite; INT8 rint).
QCFG_HD float mx_quantize_magnitude(float v, MxElement e) {
  if (e == MxElement::int8) return clamp_keep_nan(rint_f(v), -127.0f, 127.0f);
  const bool fp8 = e == MxElement::e4m3 || e == MxElement::e5m2;
  return quantize_minifloat(v, mx_minifloat(e), fp8 ? Overflow::satfinite : Overflow::saturate_all);
}

// y = sign(x) * f32(Q(f32(|x| * 2^-k)) * 2^k).
QCFG_HD float mx_qdq(float x, int k, MxElement e) {
  const float v = mx_quantize_magnitude(abs_f(x) * pow2f(-k), e);
  return apply_sign_ge0(x, v * pow2f(k));
}

// mx_quantize_magnitude with the element format fixed at compile time, straight-line on the
// exponent bits (minifloat.h, grid_round_*) for every format whose grid rounds ties to even, i.e.
// all but E3M0; for v with the sign bit clear (NaN included) it is mx_quantize_magnitude bit for
// bit (tests/kernels/minifloat_fast_test.cpp, every such fp32 input).
template <MxElement kE>
QCFG_HD float mx_quantize_magnitude_fast(float v) {
  if constexpr (kE == MxElement::int8) {
    return clamp_keep_nan(rint_f(v), -127.0f, 127.0f);
  } else if constexpr (kE == MxElement::e2m1) {
    return grid_round_saturate_all<1, 0>(v, 6.0f);
  } else if constexpr (kE == MxElement::e3m2) {
    return grid_round_saturate_all<2, -2>(v, 28.0f);
  } else if constexpr (kE == MxElement::e2m3) {
    return grid_round_saturate_all<3, 0>(v, 7.5f);
  } else if constexpr (kE == MxElement::e1m2) {
    return grid_round_saturate_all<2, 1>(v, 3.5f);
  } else if constexpr (kE == MxElement::e0m3) {
    return grid_round_saturate_all<2, 2>(v, 7.0f);
  } else if constexpr (kE == MxElement::e4m3) {
    return grid_round_satfinite<3, -6>(v, 448.0f);
  } else if constexpr (kE == MxElement::e5m2) {
    return grid_round_satfinite<2, -14>(v, 57344.0f);
  } else {
    return mx_quantize_magnitude(v, kE);  // E3M0 rounds ties away from zero
  }
}

// mx_qdq with 2^-k and 2^k computed once per block (down = pow2f(-k), up = pow2f(k)).
template <MxElement kE>
QCFG_HD float mx_qdq_fast(float x, float down, float up) {
  return apply_sign_ge0(x, mx_quantize_magnitude_fast<kE>(abs_f(x) * down) * up);
}

}  // namespace qcfg::numerics
