// Element formats, storage conversions and argument validation.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "kernels/cpu/numerics.h"
#include "tests/kernels/test_util.h"

namespace qcfg::numerics {
namespace {

TEST_CASE("E4M3: every code decodes and re-encodes to itself") {
  for (uint32_t c = 0; c < 256; ++c) {
    if ((c & 0x7f) == 0x7f) continue;
    const float v = e4m3_value(static_cast<uint8_t>(c));
    CAPTURE(c);
    CHECK(e4m3_code(v, Overflow::satfinite) == c);
    CHECK(e4m3_code(v, Overflow::torch_cast) == c);
  }
  CHECK(e4m3_value(0x7e) == 448.0f);
  CHECK(e4m3_value(0x01) == 0.001953125f);
  CHECK(std::isnan(e4m3_value(0x7f)));
  CHECK(e4m3_code(NAN, Overflow::satfinite) == 0x7f);
  CHECK(e4m3_code(INFINITY, Overflow::satfinite) == 0x7e);
  CHECK(e4m3_code(-INFINITY, Overflow::torch_cast) == 0xff);
  CHECK(e4m3_code(464.0f, Overflow::torch_cast) == 0x7e);
  CHECK(e4m3_code(std::nextafter(464.0f, 500.0f), Overflow::torch_cast) == 0x7f);
}

TEST_CASE("E5M2 round trip and saturation") {
  for (uint32_t c = 0; c < 0x7c; ++c) {
    const float v = decode_minifloat(c, kE5M2);
    CHECK(encode_minifloat(v, kE5M2, Overflow::satfinite) == c);
  }
  CHECK(decode_minifloat(0x7b, kE5M2) == 57344.0f);
  CHECK(quantize_minifloat(1e9f, kE5M2, Overflow::satfinite) == 57344.0f);
  CHECK(quantize_minifloat(INFINITY, kE5M2, Overflow::satfinite) == 57344.0f);
  CHECK(std::isinf(quantize_minifloat(1e9f, kE5M2, Overflow::torch_cast)));
}

TEST_CASE("E2M1 RNE table and tie-down variant") {
  const float in[] = {0.0f,  0.24f, 0.25f, 0.26f, 0.74f, 0.75f, 1.24f, 1.25f, 1.75f,
                      2.49f, 2.5f,  3.49f, 3.5f,  4.99f, 5.0f,  5.01f, 7.0f,  100.0f};
  const float rne[] = {0, 0, 0, 0.5f, 0.5f, 1, 1, 1, 2, 2, 2, 3, 4, 4, 4, 6, 6, 6};
  const float down[] = {0, 0, 0, 0.5f, 0.5f, 0.5f, 1, 1, 1.5f, 2, 2, 3, 3, 4, 4, 6, 6, 6};
  for (size_t i = 0; i < std::size(in); ++i) {
    CAPTURE(in[i]);
    CHECK(e2m1_round_magnitude(in[i]) == rne[i]);
    CHECK(e2m1_magnitude(std::min(e2m1_index_ties_down(in[i]), 7u)) == down[i]);
  }
}

TEST_CASE("MX table formats") {
  const std::vector<float> e3m2{0,   .0625f, .125f, .1875f, .25f, .3125f, .375f, .4375f,
                                .5f, .625f,  .75f,  .875f,  1,    1.25f,  1.5f,  1.75f,
                                2,   2.5f,   3,     3.5f,   4,    5,      6,     7,
                                8,   10,     12,    14,     16,   20,     24,    28};
  for (uint32_t c = 0; c < 32; ++c) CHECK(decode_minifloat(c, kE3M2) == e3m2[c]);
  for (uint32_t c = 0; c < 32; ++c)
    CHECK(decode_minifloat(c, kE2M3) ==
          (c < 16 ? c / 8.0f : (c < 24 ? 2 + (c - 16) / 4.0f : 4 + (c - 24) / 2.0f)));
  for (uint32_t c = 0; c < 8; ++c) CHECK(decode_minifloat(c, kE1M2) == c * 0.5f);
  for (uint32_t c = 0; c < 8; ++c) CHECK(decode_minifloat(c, kE0M3) == static_cast<float>(c));
  const std::vector<float> e3m0{0, .25f, .5f, 1, 2, 4, 8, 16};
  for (uint32_t c = 0; c < 8; ++c) CHECK(decode_minifloat(c, kE3M0) == e3m0[c]);
  CHECK(quantize_minifloat(3.0f, kE3M0, Overflow::saturate_all) == 4.0f);  // tie rounds up
  CHECK(quantize_minifloat(0.125f, kE3M0, Overflow::saturate_all) == 0.25f);
  CHECK(quantize_minifloat(2.5f, kE1M2, Overflow::saturate_all) == 2.5f);
  CHECK(quantize_minifloat(2.75f, kE1M2, Overflow::saturate_all) == 3.0f);  // tie to even code
  CHECK(quantize_minifloat(NAN, kE3M2, Overflow::saturate_all) == 28.0f);
  CHECK(quantize_minifloat(-INFINITY, kE2M3, Overflow::saturate_all) == -7.5f);
}

TEST_CASE("fp16 / bf16 conversions are RNE") {
  CHECK(to_float(from_float<BFloat16>(1.0f + std::ldexp(1.0f, -8))) == 1.0f);  // tie to even
  CHECK(to_float(from_float<BFloat16>(1.0f + 3 * std::ldexp(1.0f, -8))) ==
        1.0f + std::ldexp(1.0f, -6));
  CHECK(std::isnan(to_float(from_float<BFloat16>(NAN))));
  CHECK(to_float(from_float<Half>(65504.0f)) == 65504.0f);
  CHECK(std::isinf(to_float(from_float<Half>(65520.0f))));
  CHECK(to_float(from_float<Half>(65519.0f)) == 65504.0f);
  CHECK(to_float(from_float<Half>(std::ldexp(1.0f, -24))) == std::ldexp(1.0f, -24));
  CHECK(to_float(from_float<Half>(std::ldexp(1.0f, -25))) == 0.0f);  // tie to even (0)
  CHECK(to_float(from_float<Half>(std::ldexp(3.0f, -26))) == std::ldexp(1.0f, -24));
  CHECK(std::isnan(to_float(from_float<Half>(NAN))));
  // Every half round-trips.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue;
    CHECK_EQ(from_float<Half>(half_bits_to_float(static_cast<uint16_t>(h))).bits, h);
  }
}

TEST_CASE("bad arguments throw std::invalid_argument") {
  std::vector<float> x(8, 1.0f), y(8);
  const std::vector<float> one{1.0f};
  CHECK_THROWS_AS(int_fake_quant(x, y, {8}, {1}, PerTensor{}, one), std::invalid_argument);
  CHECK_THROWS_AS(int_fake_quant(x, y, {8}, {9}, PerTensor{}, one), std::invalid_argument);
  CHECK_THROWS_AS(int_fake_quant(x, y, {8}, {8}, PerTensor{}, std::vector<float>{-1.0f}),
                  std::invalid_argument);
  std::vector<float> neg{-1.0f}, out1(1);
  CHECK_THROWS_AS(int_fake_quant(neg, out1, {1}, {8, true}, PerTensor{}, one),
                  std::invalid_argument);
  CHECK_THROWS_AS(int_fake_quant({}, {}, {0}, {8}, PerTensor{}, one), std::invalid_argument);
  CHECK_THROWS_AS(fp8_fake_quant(x, y, {8}, PerAxis{0}, one), std::invalid_argument);
  CHECK_THROWS_AS(mx_fake_quant(x, y, {8}, MxElement::e2m1, 12), std::invalid_argument);
  CHECK_THROWS_AS(nvfp4_dynamic_fake_quant(x, y, {8}, 1.0f, 8), std::invalid_argument);
  CHECK_THROWS_AS(hadamard_transform(std::span<const float>(x), std::span<float>(y), {8}, 3),
                  std::invalid_argument);
  CHECK_THROWS_AS(hadamard_transform(std::span<const float>(x), std::span<float>(y), {8}, 16),
                  std::invalid_argument);
  std::vector<float> x3(3), y3(3);
  CHECK_THROWS_AS(hadamard_transform(std::span<const float>(x3), std::span<float>(y3), {3}),
                  std::invalid_argument);
  CHECK_THROWS_AS(pack_nvfp4_dynamic(x, {1, 8}, 1.0f), std::invalid_argument);
  CHECK_THROWS_AS(pack_mxfp4(x), std::invalid_argument);
  CHECK_THROWS_AS(pack_int4_export(std::vector<float>(4), {1, 4}, 4, one), std::invalid_argument);
  CHECK(hadamard_block_size(1920) == 128);
  CHECK(hadamard_block_size(14336) == 2048);
  CHECK(hadamard_block_size(11008) == 256);
  CHECK(hadamard_block_size(1) == 1);
}

TEST_CASE("calibration: joint amax, shape change, NaN") {
  MaxCalibrator cal(PerAxis{0});
  cal.collect(std::vector<float>{1, -5, 2, 3}, {2, 2});
  cal.collect(std::vector<float>{-7, 0, 1, 1}, {2, 2});
  CHECK(cal.amax() == std::vector<float>{7, 3});
  CHECK_THROWS_AS(cal.collect(std::vector<float>{1, 2, 3}, {3, 1}), std::runtime_error);
  CHECK_THROWS_AS(max_amax(std::vector<float>{1, NAN}, {2}, PerTensor{}), std::runtime_error);
  // 2-D 2x2 blocks on a 4x4 matrix.
  std::vector<float> m(16);
  for (int i = 0; i < 16; ++i) m[i] = static_cast<float>(i);
  CHECK(max_amax(m, {4, 4}, PerBlock{2, 2}) == std::vector<float>{5, 7, 13, 15});
}

}  // namespace
}  // namespace qcfg::numerics
