// The straight-line roundings (minifloat.h, scalar_ops.h, storage.h: used by the reference and
// the CUDA kernels) equal the definitions they replace: E2M1 value and code against the generic
// grid rounding on every fp32 input of [2^-3, 8) (all inputs where the result is not 0 or
// saturated) and on the tie neighbourhoods of every binade with the sign bit clear (their
// domain), NaN and inf included; on every bf16 input divided (div_full, as the NVFP4 kernels do)
// by every positive E4M3 block scale times several global scales; the NVFP4 per-element form with
// the prepared reciprocal; the fp16 widening on all 65536 patterns; the MX element roundings on a
// sample of every binade. tests/kernels/exhaustive_test.cpp covers all 2^31 inputs of each.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>

#include "kernels/cpu/numerics.h"

namespace qcfg::numerics {
namespace {

// Counts the inputs of [lo_bits, hi_bits) where fast and grid forms disagree.
uint64_t mismatches_in(uint32_t lo_bits, uint32_t hi_bits) {
  uint64_t bad = 0;
  for (uint32_t b = lo_bits; b < hi_bits; ++b) {
    const float a = bits_float(b);
    bad += float_bits(e2m1_round_magnitude(a)) != float_bits(e2m1_round_magnitude_grid(a));
    bad += e2m1_index_rne(a) != e2m1_index_rne_grid(a);
  }
  return bad;
}

TEST_CASE("E2M1 fast rounding: every fp32 input of [2^-3, 8)") {
  CHECK(mismatches_in(float_bits(0.125f), float_bits(8.0f)) == 0);
}

TEST_CASE("E2M1 fast rounding: tie neighbourhoods of every binade, NaN and inf") {
  const uint32_t lows[] = {0u, 1u, 0x3fffu, 0x4000u, 0x4001u, 0x7fffu};
  uint64_t bad = 0;
  for (uint32_t high = 0; high < (1u << 16); ++high) {  // sign bit clear: the functions' domain
    for (const uint32_t low : lows) {
      const float a = bits_float((high << 15) | low);
      bad += float_bits(e2m1_round_magnitude(a)) != float_bits(e2m1_round_magnitude_grid(a));
      bad += e2m1_index_rne(a) != e2m1_index_rne_grid(a);
    }
  }
  CHECK(bad == 0);
}

TEST_CASE("E2M1 fast rounding: every bf16 input over every E4M3 block scale (div_full)") {
  const float global_scales[] = {1.0f, nvfp4_global_scale(1.0f), nvfp4_global_scale(448.0f * 6.0f),
                                 nvfp4_global_scale(3.0e-3f), 1e-12f};
  uint64_t bad = 0;
  for (const float gs : global_scales) {
    for (uint32_t code = 1; code < 0x7f; ++code) {
      const float s = e4m3_value(static_cast<uint8_t>(code)) * gs;
      for (uint32_t x = 0; x < 0x10000u; ++x) {
        const float q = div_full(abs_f(bf16_bits_to_float(static_cast<uint16_t>(x))), s);
        bad += float_bits(e2m1_round_magnitude(q)) != float_bits(e2m1_round_magnitude_grid(q));
        bad += e2m1_index_rne(q) != e2m1_index_rne_grid(q);
      }
    }
  }
  CHECK(bad == 0);
}

// The NVFP4 kernels' per-element form with the reciprocal prepared per block equals the
// reference's e2m1_qdq_div for every bf16 input (NaN and inf included) over every E4M3 block
// scale times several global scales, and over the dynamic block scales' extremes.
TEST_CASE("e2m1_qdq_plain == e2m1_qdq_div: every bf16 input over every E4M3 block scale") {
  const float global_scales[] = {1.0f,
                                 nvfp4_global_scale(1.0f),
                                 nvfp4_global_scale(448.0f * 6.0f),
                                 nvfp4_global_scale(3.0e-3f),
                                 nvfp4_global_scale(1e30f),
                                 1e-12f};
  uint64_t bad = 0, plain = 0;
  for (const float gs : global_scales) {
    for (uint32_t code = 1; code < 0x7f; ++code) {
      const float s =
          nvfp4_dynamic_block_scale(e4m3_value(static_cast<uint8_t>(code)) * 6 * gs, gs);
      const DivFullDivisor d = div_full_divisor(s);
      if (!d.plain) continue;
      ++plain;
      for (uint32_t x = 0; x < 0x10000u; ++x) {
        const float v = bf16_bits_to_float(static_cast<uint16_t>(x));
        const float want = e2m1_qdq_div(v, d), got = e2m1_qdq_plain(v, d.rcp, s);
        bad += float_bits(want) != float_bits(got) && !(is_nan(want) && is_nan(got));
      }
    }
  }
  CHECK(plain > 600);
  CHECK(bad == 0);
}

// half_bits_to_float (straight-line) against the definition of the format, all 65536 patterns.
TEST_CASE("half_bits_to_float: every fp16 pattern") {
  uint32_t bad = 0;
  for (uint32_t h = 0; h < 0x10000u; ++h) {
    const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    float want;
    if (e == 0x1f) {
      want = bits_float(0x7f800000u | (m << 13));
    } else if (e == 0) {
      want = std::ldexp(static_cast<float>(m), -24);
    } else {
      want = std::ldexp(static_cast<float>(1024 + m), static_cast<int>(e) - 25);
    }
    if ((h & 0x8000u) != 0) want = neg_f(want);
    bad += float_bits(half_bits_to_float(static_cast<uint16_t>(h))) != float_bits(want);
  }
  CHECK(bad == 0);
}

// The straight-line MX element roundings on a sample of every binade (the exhaustive check over
// all 2^31 inputs is tests/kernels/exhaustive_test.cpp): every 61st pattern plus the tie
// neighbourhoods.
template <MxElement kE>
uint64_t mx_fast_mismatches_sampled() {
  uint64_t bad = 0;
  const uint32_t lows[] = {0u, 1u, 0x7fffu, 0x8000u, 0x8001u, 0xffffu};
  auto check = [&](uint32_t b) {
    const float v = bits_float(b);
    const float want = mx_quantize_magnitude(v, kE), got = mx_quantize_magnitude_fast<kE>(v);
    bad += float_bits(want) != float_bits(got) && !(is_nan(want) && is_nan(got));
  };
  for (uint32_t b = 0; b < 0x7fffffffu - 61; b += 61) check(b);
  for (uint32_t high = 0; high < (1u << 15); ++high)
    for (const uint32_t low : lows) check((high << 16) | low);
  return bad;
}

TEST_CASE("MX fast element rounding (sampled)") {
  CHECK(mx_fast_mismatches_sampled<MxElement::e2m1>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::e3m2>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::e2m3>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::e1m2>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::e0m3>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::e3m0>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::e4m3>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::e5m2>() == 0);
  CHECK(mx_fast_mismatches_sampled<MxElement::int8>() == 0);
}

// mx_fake_exponent_fast (the v5 block exponent) against mx_fake_exponent: every bf16 pattern
// with the sign bit clear, and the fp32 neighbours of M 2^j for every j (where the rule switches
// between floor and ceil) and of the subnormal limit M 2^-127. The proof over all fp32 inputs is
// the exhaustive suite's.
template <MxElement kE>
uint64_t mx_exponent_mismatches_sampled() {
  uint64_t bad = 0;
  const auto check = [&](uint32_t b) {
    const float v = bits_float(b & 0x7fffffffu);
    bad += mx_fake_exponent_fast<kE>(v) != mx_fake_exponent(v, kE) ? 1 : 0;
  };
  for (uint32_t h = 0; h < 0x8000u; ++h) check(h << 16);
  const uint32_t m = float_bits(mx_element_max(kE));
  for (int j = -127; j <= 127; ++j) {
    const int64_t e = static_cast<int64_t>(m >> 23) + j;
    if (e < 1 || e > 254) continue;
    const uint32_t c = static_cast<uint32_t>(e << 23) | (m & 0x7fffffu);
    for (uint32_t d = 0; d < 5; ++d) {
      check(c + d);
      check(c - d);
    }
  }
  return bad;
}

TEST_CASE("MX shared exponent from the bits (sampled)") {
  CHECK(mx_exponent_mismatches_sampled<MxElement::e2m1>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::e3m2>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::e2m3>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::e1m2>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::e0m3>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::e3m0>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::e4m3>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::e5m2>() == 0);
  CHECK(mx_exponent_mismatches_sampled<MxElement::int8>() == 0);
}

// narrow_div (the packings' quotient for bf16 inputs) against the IEEE division: every bf16 value
// of its range (both signs, zeros) over divisors at the ends and the middle of its fast range
// (a sample of mantissas at each exponent). The proof over every divisor mantissa is
// int_dequant's exhaustive test; this checks the exponent scaling it rests on, at the extremes.
TEST_CASE("narrow_div == IEEE division over its range") {
  uint64_t bad = 0, checked = 0;
  for (const int k : {-40, -39, -20, -1, 0, 1, 17, 38, 39}) {
    for (uint32_t m = 0; m < (1u << 23); m += 16411) {
      const float d = std::ldexp(bits_float(0x3f800000u | m), k);
      const NarrowDivisor bd = narrow_divisor(d);
      REQUIRE(bd.fast);
      for (uint32_t x = 0; x < 0x10000u; ++x) {
        const float v = bf16_bits_to_float(static_cast<uint16_t>(x));
        if (!narrow_div_in_range(v)) continue;
        ++checked;
        bad += float_bits(narrow_div(v, bd)) != float_bits(v / d);
      }
    }
  }
  CHECK(checked > 100000000u);
  CHECK(bad == 0);
  CHECK(narrow_divisor(0x1p40f).fast);
  CHECK_FALSE(narrow_divisor(0x1.000002p40f).fast);
  CHECK_FALSE(narrow_divisor(0x1.fffffep-41f).fast);
  CHECK(narrow_div_in_range(0.0f));
  CHECK(narrow_div_in_range(-0x1p60f));
  CHECK_FALSE(narrow_div_in_range(0x1.02p60f));
  CHECK_FALSE(narrow_div_in_range(0x1.fep-61f));
  CHECK_FALSE(narrow_div_in_range(INFINITY));
  CHECK_FALSE(narrow_div_in_range(NAN));
}

}  // namespace
}  // namespace qcfg::numerics
