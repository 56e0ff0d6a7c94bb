// The specialized E2M1 roundings (minifloat.h, used by the reference and the CUDA kernels) equal
// the generic grid rounding that defines them: exhaustively over every fp32 input of [2^-3, 8)
// (all inputs where the result is not 0 or saturated), and for every sign, exponent and the top
// 8 mantissa bits with the low 15 bits at the patterns next to ties (0, 1, 0x3fff, 0x4000,
// 0x4001, 0x7fff) elsewhere, NaN and inf included. Plus every bf16 input divided (div_full, as
// the NVFP4 kernels do) by every positive E4M3 block scale times several global scales.
#include <doctest/doctest.h>

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

TEST_CASE("E2M1 fast rounding: tie neighbourhoods of every binade, both signs, NaN and inf") {
  const uint32_t lows[] = {0u, 1u, 0x3fffu, 0x4000u, 0x4001u, 0x7fffu};
  uint64_t bad = 0;
  for (uint32_t high = 0; high < (1u << 17); ++high) {
    for (const uint32_t low : lows) {
      const float a = bits_float((high << 15) | low);
      bad += float_bits(e2m1_round_magnitude(a)) != float_bits(e2m1_round_magnitude_grid(a)) &&
             !(is_nan(e2m1_round_magnitude(a)) && is_nan(e2m1_round_magnitude_grid(a)));
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

}  // namespace
}  // namespace qcfg::numerics
