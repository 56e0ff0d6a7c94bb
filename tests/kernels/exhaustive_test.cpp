// Exhaustive proofs of the straight-line roundings the kernels run (minifloat.h, scalar_ops.h):
// each equals its definition on every fp32 input with the sign bit clear (2^31 patterns: every
// magnitude, every NaN payload, inf), which is their whole domain (every caller passes a
// magnitude). One test case per function, so meson runs them in parallel (suite 'exhaustive';
// `meson test --no-suite exhaustive` skips them). Bit-exact, except that a NaN equals any NaN.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

#include "kernels/cpu/numerics.h"

namespace qcfg::numerics {
namespace {

bool same(float a, float b) { return float_bits(a) == float_bits(b) || (is_nan(a) && is_nan(b)); }

// Calls bad(bits) on every sign-clear pattern and counts the mismatches it reports.
template <class Fn>
uint64_t count_over_magnitudes(Fn&& bad) {
  uint64_t n = 0;
  for (uint32_t b = 0;; ++b) {
    n += bad(b) ? 1 : 0;
    if (b == 0x7fffffffu) break;
  }
  return n;
}

// Both signs: the v4 block kernels' lane max (scalar_ops.h) against fmax_nan_skip, from the
// block max's start 0 and from a running max of 1 (the bit order is the value order).
TEST_CASE("exhaustive: nan_skipping_magnitude_bits == fmax_nan_skip") {
  uint64_t bad = 0;
  for (uint32_t b = 0;; ++b) {
    const float x = bits_float(b);
    const uint32_t m = nan_skipping_magnitude_bits(x);
    bad += float_bits(fmax_nan_skip(0.0f, abs_f(x))) != m ? 1 : 0;
    const uint32_t one = float_bits(1.0f);
    bad += float_bits(fmax_nan_skip(1.0f, abs_f(x))) != (m > one ? m : one) ? 1 : 0;
    if (b == 0xffffffffu) break;
  }
  CHECK(bad == 0);
}

TEST_CASE("exhaustive: e2m1_round_magnitude == grid rounding") {
  CHECK(count_over_magnitudes([](uint32_t b) {
          const float a = bits_float(b);
          return float_bits(e2m1_round_magnitude(a)) != float_bits(e2m1_round_magnitude_grid(a));
        }) == 0);
}

TEST_CASE("exhaustive: e2m1_index_rne == grid code") {
  CHECK(count_over_magnitudes([](uint32_t b) {
          const float a = bits_float(b);
          return e2m1_index_rne(a) != e2m1_index_rne_grid(a) ||
                 e2m1_index_rne_via_value(a) != e2m1_index_rne_grid(a);
        }) == 0);
}

template <MxElement kE>
uint64_t mx_mismatches() {
  return count_over_magnitudes([](uint32_t b) {
    const float v = bits_float(b);
    return !same(mx_quantize_magnitude_fast<kE>(v), mx_quantize_magnitude(v, kE));
  });
}

TEST_CASE("exhaustive: MX E2M1 fast rounding") { CHECK(mx_mismatches<MxElement::e2m1>() == 0); }
TEST_CASE("exhaustive: MX E3M2 fast rounding") { CHECK(mx_mismatches<MxElement::e3m2>() == 0); }
TEST_CASE("exhaustive: MX E2M3 fast rounding") { CHECK(mx_mismatches<MxElement::e2m3>() == 0); }
TEST_CASE("exhaustive: MX E1M2 fast rounding") { CHECK(mx_mismatches<MxElement::e1m2>() == 0); }
TEST_CASE("exhaustive: MX E0M3 fast rounding") { CHECK(mx_mismatches<MxElement::e0m3>() == 0); }
TEST_CASE("exhaustive: MX E4M3 fast rounding") { CHECK(mx_mismatches<MxElement::e4m3>() == 0); }
TEST_CASE("exhaustive: MX E5M2 fast rounding") { CHECK(mx_mismatches<MxElement::e5m2>() == 0); }
TEST_CASE("exhaustive: MX INT8 rounding") { CHECK(mx_mismatches<MxElement::int8>() == 0); }

// The shared exponent from the bits (v5, scalar_ops.h) against the division form, every format.
template <MxElement kE>
uint64_t mx_exponent_mismatches() {
  return count_over_magnitudes([](uint32_t b) {
    const float v = bits_float(b);
    return mx_fake_exponent_fast<kE>(v) != mx_fake_exponent(v, kE);
  });
}

TEST_CASE("exhaustive: MX exponent E2M1, E3M2, E2M3") {
  CHECK(mx_exponent_mismatches<MxElement::e2m1>() == 0);
  CHECK(mx_exponent_mismatches<MxElement::e3m2>() == 0);
  CHECK(mx_exponent_mismatches<MxElement::e2m3>() == 0);
}
TEST_CASE("exhaustive: MX exponent E1M2, E0M3, E3M0") {
  CHECK(mx_exponent_mismatches<MxElement::e1m2>() == 0);
  CHECK(mx_exponent_mismatches<MxElement::e0m3>() == 0);
  CHECK(mx_exponent_mismatches<MxElement::e3m0>() == 0);
}
TEST_CASE("exhaustive: MX exponent E4M3, E5M2, INT8") {
  CHECK(mx_exponent_mismatches<MxElement::e4m3>() == 0);
  CHECK(mx_exponent_mismatches<MxElement::e5m2>() == 0);
  CHECK(mx_exponent_mismatches<MxElement::int8>() == 0);
}

// How often divide(q, divisor_of(d)) differs from the IEEE q / d, over every odd q < q_end and
// every divisor d of [1, 2) (all 2^23 mantissas).
template <class MakeDivisor, class Divide>
uint64_t quotient_mismatches(int q_end, MakeDivisor divisor_of, Divide divide) {
  uint64_t bad = 0;
  for (uint32_t m = 0; m < (1u << 23); ++m) {
    const float d = bits_float(0x3f800000u | m);
    const auto prepared = divisor_of(d);
    for (int q = 1; q < q_end; q += 2) {
      const float qf = static_cast<float>(q);
      bad += float_bits(divide(qf, prepared)) != float_bits(qf / d);
    }
  }
  return bad;
}

// int_dequant == q / scale: every odd q of [1, 255] (with the sign symmetry and the exact
// power-of-two scaling of both sides, every integer |q| <= 256) against every scale of [1, 2)
// (every scale of the fast range, by the same scaling); then the range ends and zeros.
TEST_CASE("exhaustive: int_dequant == IEEE division") {
  CHECK(quotient_mismatches(256, int_divisor, int_dequant) == 0);
  for (const float scale : {0x1p-100f, 0x1.fffffep-100f, 0x1.8p-77f, 0x1p100f, 0x1.fffffep99f, 3.0f,
                            127.0f / 1e-6f, 7.0f / 3e4f}) {
    const IntDivisor d = int_divisor(scale);
    CHECK(d.fast);
    for (int q = -256; q <= 256; ++q) {
      const float qf = static_cast<float>(q);
      CHECK(float_bits(int_dequant(qf, d)) == float_bits(qf / scale));
    }
    CHECK(float_bits(int_dequant(-0.0f, d)) == float_bits(-0.0f / scale));
    CHECK(is_nan(int_dequant(NAN, d)));
  }
  CHECK_FALSE(int_divisor(0x1.fffffep-101f).fast);
  CHECK_FALSE(int_divisor(0x1.000002p100f).fast);
}

// narrow_div == x / d: every odd q of [1, 2047] (every significand of at most 11 bits: bf16 and
// fp16 values are such a q times a power of two) against every divisor of [1, 2).
TEST_CASE("exhaustive: narrow_div == IEEE division, 11-bit significands") {
  CHECK(quotient_mismatches(2048, narrow_divisor, narrow_div) == 0);
}

}  // namespace
}  // namespace qcfg::numerics
