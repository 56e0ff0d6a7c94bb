// Every conformance vector of spec §11, bit for bit.
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "kernels/cpu/numerics.h"
#include "tests/kernels/test_util.h"

namespace qcfg::numerics {
namespace {

using test::check_bits;
using test::check_bytes;

std::vector<float> run_int(const std::vector<float>& x, float amax, IntFormat fmt) {
  std::vector<float> y(x.size());
  int_fake_quant(x, y, {static_cast<int64_t>(x.size())}, fmt, PerTensor{},
                 std::vector<float>{amax});
  return y;
}

std::vector<float> run_fp8(const std::vector<float>& x, float amax) {
  std::vector<float> y(x.size());
  fp8_fake_quant(x, y, {static_cast<int64_t>(x.size())}, PerTensor{}, std::vector<float>{amax});
  return y;
}

std::vector<float> run_hadamard(const std::vector<float>& x, std::optional<int64_t> block = {}) {
  std::vector<float> y(x.size());
  hadamard_transform(std::span<const float>(x), std::span<float>(y),
                     {static_cast<int64_t>(x.size())}, block);
  return y;
}

float hexf(uint32_t bits) { return bits_float(bits); }

TEST_CASE("I1 INT8 per-tensor amax 127") {
  const std::vector<float> x{0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 126.5f, 127.4f, 200, -127.5f, -200, 0};
  check_bits(run_int(x, 127, {8, false, false}),
             {0, 2, 2, -0.0f, -2, 126, 127, 127, -128, -128, 0});
  check_bits(run_int(x, 127, {8, false, true}), {0, 2, 2, -0.0f, -2, 126, 127, 127, -127, -127, 0});
}

TEST_CASE("I2 INT8 per-tensor amax 2 (dequant divides by the scale)") {
  const std::vector<float> x{1.0f,  -1.0f, 0.0078740157f, 0.015748031f, 2.0f,
                             -2.0f, 2.5f,  0.3f,          1.9921875f};
  check_bits(run_int(x, 2.0f, {}), {hexf(0x3f810204), hexf(0xbf810204), 0, hexf(0x3c810204), 2, -2,
                                    2, hexf(0x3e993265), 2});
  SUBCASE("bf16") {
    std::vector<BFloat16> xb;
    for (float v : {1.0f, -1.0f, 0.30078125f, 1.9921875f}) xb.push_back(from_float<BFloat16>(v));
    std::vector<BFloat16> yb(xb.size());
    fake_quant<BFloat16>(IntQuant{{}, PerTensor{}, {2.0f}}, xb, yb, {4});
    std::vector<float> y;
    for (auto v : yb) y.push_back(to_float(v));
    check_bits(y, {1.0078125f, -1.0078125f, 0.298828125f, 2.0f});
  }
}

TEST_CASE("I3 zero and tiny amax") {
  check_bits(run_int({1.0f, -3.0f, 0.0f}, 0.0f, {}), {0.0f, -0.0f, 0.0f});
  check_bits(run_int({1e-8f, -3e-8f}, std::ldexp(1.0f, -24), {}), {0.0f, -0.0f});
  IntFormat cuda;
  cuda.tiny_amax = TinyAmaxRule::cuda_lt;
  check_bits(run_int({1.0f, -3.0f}, 0.0f, cuda), {0.0f, 0.0f});
  // At exactly 2^-24 the CUDA rule quantizes.
  const auto y = run_int({std::ldexp(1.0f, -24)}, std::ldexp(1.0f, -24), cuda);
  CHECK(y[0] == std::ldexp(1.0f, -24));
}

TEST_CASE("I4 UINT8 amax 1") {
  check_bits(run_int({0, 0.5f, 1.0f, 0.25f, 0.7f, 1.2f}, 1.0f, {8, true, false}),
             {0, 0.501960813999176f, 1.0f, 0.250980406999588f, 0.6980392336845398f, 1.0f});
}

TEST_CASE("I5 INT4 block") {
  const std::vector<float> x{1.4f, -1.4f, 0.1f, -0.1f, 0.3f, 0.5f, -0.7f, 1.0f};
  std::vector<float> y(x.size());
  int_fake_quant(x, y, {8}, {4}, PerBlock{8}, std::vector<float>{1.4f});
  check_bits(y, {1.399999976158142f, -1.399999976158142f, 0, -0.0f, 0.4000000059604645f,
                 0.4000000059604645f, -0.800000011920929f, 1.0f});
  SUBCASE("padded block") {
    const std::vector<float> row{0.7f, -0.35f, 0.1f, -0.7f, 0.2f, -0.1f};
    const auto amax = max_amax(row, {1, 6}, PerBlock{4});
    check_bits(amax, {0.7f, 0.2f});
    std::vector<float> out(6);
    int_fake_quant(row, out, {1, 6}, {4}, PerBlock{4}, amax);
    check_bits(std::span<const float>(out).subspan(4),
               {0.20000000298023224f, -0.11428571492433548f});
  }
}

TEST_CASE("I6 INT8 per-channel axis 0") {
  const std::vector<float> w{0.5f, -1.0f, 0.25f, 3.0f, 1.5f, -0.75f};
  std::vector<float> y(6);
  int_fake_quant(w, y, {2, 3}, {}, PerAxis{0}, std::vector<float>{1.0f, 3.0f});
  check_bits(y, {0.5039370059967041f, -1.0f, 0.25196850299835205f, 3.0f, 1.5118110179901123f,
                 -0.7559055089950562f});
  CHECK(max_amax(w, {2, 3}, PerAxis{0}) == std::vector<float>{1.0f, 3.0f});
}

TEST_CASE("F1 FP8 amax 448 and both overflow behaviours") {
  const std::vector<float> x{0,
                             1,
                             1.0625f,
                             1.1875f,
                             300,
                             464,
                             470,
                             500,
                             -1000,
                             std::ldexp(1.0f, -10),
                             3 * std::ldexp(1.0f, -11),
                             0.0017f,
                             -17,
                             240,
                             0.1f};
  check_bits(run_fp8(x, 448), {0, 1, 1, 1.25f, 288, 448, 448, 448, -448, 0, 0.001953125f,
                               0.001953125f, -16, 240, 0.1015625f});
  std::vector<uint8_t> sat, torch;
  for (float v : x) {
    sat.push_back(e4m3_code(v, Overflow::satfinite));
    torch.push_back(e4m3_code(v, Overflow::torch_cast));
  }
  check_bytes(sat, {0x00, 0x38, 0x38, 0x3a, 0x79, 0x7e, 0x7e, 0x7e, 0xfe, 0x00, 0x01, 0x01, 0xd8,
                    0x77, 0x1d});
  check_bytes(torch, {0x00, 0x38, 0x38, 0x3a, 0x79, 0x7e, 0x7f, 0x7f, 0xff, 0x00, 0x01, 0x01, 0xd8,
                      0x77, 0x1d});
}

TEST_CASE("F2 FP8 amax 1 (code * inv, not code / 448)") {
  CHECK(fp8_scale(1.0f).inv == 0.0022321429569274187f);
  check_bits(run_fp8({0.5f, 1.0f, -0.25f, 0.1f, 0.3f, 1.5f, 0.0001f}, 1.0f),
             {0.5f, 1.0f, -0.25f, hexf(0x3dc92493), hexf(0x3e924925), 1.0f, hexf(0x38c92493)});
  check_bits(run_fp8({0.3f, 2.0f}, 0.0f), {0.2857142984867096f, 1.0f});
  // The spec's prose example (a = 0.3) does not differ under numerics_ref.py (both 0x3a2f8af9);
  // this amax does: inv = f32(1/f32(448/a)) != f32(a/448).
  CHECK(fp8_scale(hexf(0x4086c4b1)).inv == hexf(0x3c1a055c));
  CHECK(hexf(0x4086c4b1) / 448.0f == hexf(0x3c1a055d));
}

TEST_CASE("F3 FP8 amax 3 fake vs export") {
  const std::vector<float> x{1.0f, -2.9f, 0.01f, 3.0f, 3.5f};
  CHECK(fp8_scale(3.0f).scale == 149.3333282470703f);
  CHECK(fp8_scale(3.0f).inv == 0.0066964286379516125f);
  check_bits(run_fp8(x, 3.0f), {0.9642857313156128f, -3.0f, 0.010044642724096775f, 3.0f, 3.0f});
  std::vector<uint8_t> fake_codes;
  for (float v : x) fake_codes.push_back(e4m3_code(v * fp8_scale(3.0f).scale, Overflow::satfinite));
  check_bytes(fake_codes, {0x71, 0xfe, 0x3c, 0x7e, 0x7e});
  const Fp8Packed p = pack_fp8(x, {5}, PerTensor{}, std::vector<float>{3.0f});
  check_bytes(p.codes, {0x71, 0xfe, 0x3c, 0x7e, 0x7f});
}

TEST_CASE("F4 FP8 per-channel") {
  const std::vector<float> w{0.5f, -1.0f, 0.25f, 3.0f, 1.5f, -0.75f};
  std::vector<float> y(6);
  fp8_fake_quant(w, y, {2, 3}, PerAxis{0}, std::vector<float>{1.0f, 3.0f});
  check_bits(y, {0.5f, -1, 0.25f, 3, 1.5f, -0.75f});
  const Fp8Packed p = pack_fp8(w, {2, 3}, PerAxis{0}, std::vector<float>{1.0f, 3.0f});
  // ModelOpt 0.47: amax x f32(1/448) (docs/numerics.md), one ulp above the spec's 3/448.
  check_bits(p.scales, {0.0022321429569274187f, 0.0066964291036129f});
  check_bytes(p.codes, {0x76, 0xfe, 0x6e, 0x7e, 0x76, 0xee});
}

const std::vector<float> kN1{6, -6, 0.25f, 0.75f, 1.25f, 1.75f, 2.5f,  3.5f,
                             5, -5, 0.2f,  -0.3f, 4.4f,  0,     -0.0f, 2.9f};
const std::vector<float> kN2{0.9f, -0.45f, 0.3f, 0.1f,  -0.05f, 0.6f,  0.77f, -0.2f,
                             0,    0.13f,  0.5f, -0.9f, 0.35f,  0.25f, -0.6f, 0.01f};
const std::vector<float> kN2Out{hexf(0x3f6db6dc),
                                hexf(0xbeedb6dc),
                                hexf(0x3e9e79e8),
                                hexf(0x3d9e79e8),
                                hexf(0xbd9e79e8),
                                hexf(0x3f1e79e8),
                                hexf(0x3f1e79e8),
                                hexf(0xbe6db6dc),
                                0,
                                hexf(0x3e1e79e8),
                                hexf(0x3eedb6dc),
                                hexf(0xbf6db6dc),
                                hexf(0x3e9e79e8),
                                hexf(0x3e6db6dc),
                                hexf(0xbf1e79e8),
                                0};

TEST_CASE("N1 NVFP4 dynamic G = 2688") {
  std::vector<float> y(16);
  nvfp4_dynamic_fake_quant(kN1, y, {16}, 2688.0f);
  check_bits(y, {6, -6, 0, 1, 1, 2, 2, 4, 4, -4, 0, -0.5f, 4, 0, 0, 3});
  nvfp4_dynamic_fake_quant(kN1, y, {16}, 2688.0f, 16, Nvfp4Path::cuda_extension);
  const float one_below = std::nextafter(1.0f, 0.0f);
  CHECK(y[0] == 5.999999523162842f);
  CHECK(y[3] == one_below);
  CHECK(y[11] == -0.4999999701976776f);
  CHECK(y[15] == 2.999999761581421f);
  const Nvfp4Packed p = pack_nvfp4_dynamic(kN1, {1, 16}, 2688.0f);
  check_bytes(p.scales, {0x38});
  CHECK(p.global_scale == 1.0f);
  check_bytes(p.codes, {0xf7, 0x20, 0x42, 0x64, 0xe6, 0x90, 0x06, 0x50});
}

TEST_CASE("N2 NVFP4 dynamic G = 1") {
  CHECK(nvfp4_global_scale(1.0f) == hexf(0x39c30c31));
  CHECK(0.9f / (6.0f * nvfp4_global_scale(1.0f)) == 403.1999816894531f);
  CHECK(nvfp4_dynamic_block_scale(0.9f, nvfp4_global_scale(1.0f)) == 0.1547619104385376f);
  std::vector<float> y(16);
  nvfp4_dynamic_fake_quant(kN2, y, {16}, 1.0f);
  check_bits(y, kN2Out);
  nvfp4_dynamic_fake_quant(kN2, y, {16}, 1.0f, 16, Nvfp4Path::cuda_extension);
  check_bits(y, kN2Out);
  const Nvfp4Packed p = pack_nvfp4_dynamic(kN2, {1, 16}, 1.0f);
  check_bytes(p.scales, {0x7d});
  CHECK(p.global_scale == 0.00037202381645329297f);
  check_bytes(p.codes, {0xd7, 0x14, 0x69, 0xb6, 0x20, 0xf5, 0x34, 0x0e});
  std::vector<float> deq(16);
  unpack_nvfp4(p, {1, 16}, deq);
  check_bits(deq, kN2Out);
}

TEST_CASE("N3 static NVFP4 and four_over_six") {
  std::vector<float> y(16);
  nvfp4_static_fake_quant(kN2, y, {16}, std::vector<float>{0.9f}, 1.0f, false);
  check_bits(y, kN2Out);
  CHECK(nvfp4_static_block_scale(0.9f, nvfp4_static_scale_quantizer(1.0f, 448)) ==
        0.1547619104385376f);
  // shared/spec N3 divides by 6 (0.2291666716337204); ModelOpt 0.47 multiplies by f32(1/6)
  // (compute_fp4_scales, docs/numerics.md), one ulp above, and every output below with it.
  CHECK(nvfp4_static_block_scale(1.35f, nvfp4_static_scale_quantizer(1.0f, 256)) ==
        0.22916668653488159f);
  CHECK(nvfp4_static_block_scale(0.9f, nvfp4_static_scale_quantizer(1.0f, 256)) ==
        0.1458333432674408f);
  nvfp4_static_fake_quant(kN2, y, {16}, std::vector<float>{1.35f}, 1.0f, true);
  // Index 4 (-0.05 rounds to zero): +0, Triton's 0 - r in ModelOpt 0.47 (the spec says -0).
  check_bits(y, {0.91666674613952637f, -0.45833337306976318f, 0.34375002980232239f,
                 0.1145833432674408f, 0.0f, 0.68750005960464478f, 0.68750005960464478f,
                 -0.22916668653488159f, 0, 0.1145833432674408f, 0.45833337306976318f,
                 -0.91666674613952637f, 0.34375002980232239f, 0.22916668653488159f,
                 -0.68750005960464478f, 0});
  struct Case {
    float block_amax;
    bool four_over_six;
    uint8_t code;
    float ws2;
  };
  for (const Case& c :
       {Case{0.9f, false, 0x7d, 1.0f / 2688.0f}, Case{1.35f, true, 0x7b, 0.0006510416860692203f},
        Case{0.9f, true, 0x76, 0.0006510416860692203f}, Case{0.0f, false, 0x7e, 1.0f / 2688.0f}}) {
    const Nvfp4Packed p =
        pack_nvfp4_static(kN2, {1, 16}, std::vector<float>{c.block_amax}, 1.0f, c.four_over_six);
    CAPTURE(c.block_amax);
    check_bytes(p.scales, {c.code});
    CHECK(p.global_scale == c.ws2);
  }
}

TEST_CASE("M1 MXFP4 fake (RNE) vs real (ties down)") {
  std::vector<float> x{7, 1.5f, -1.5f, 3.5f, 0.75f, 0.5f, 0, -0.0f, 2.9f, 6.9f, -3, 5};
  x.resize(32, 0.1f);
  std::vector<float> y(32);
  mx_fake_quant(x, y, {32}, MxElement::e2m1);
  check_bits(std::span<const float>(y).first(12), {8, 2, -2, 4, 1, 0, 0, 0, 3, 6, -3, 4});
  for (size_t i = 12; i < 32; ++i) CHECK(y[i] == 0.0f);
  CHECK(mx_block_exponents(x, {32}, MxElement::e2m1) == std::vector<int>{1});
  const MxPacked p = pack_mxfp4(x);
  check_bytes(p.scales, {0x80});
  check_bytes(p.codes, {0x15, 0x39, 0x01, 0x88, 0x53, 0x4b});
  std::vector<float> deq(32);
  unpack_mxfp4(p, deq);
  check_bits(std::span<const float>(deq).first(12), {6, 1, -1, 3, 1, 0, -0.0f, -0.0f, 3, 6, -3, 4});
}

TEST_CASE("M2 E8M0 exponents") {
  struct Case {
    float m;
    int e2m1, e4m3;
  };
  for (const Case& c :
       {Case{6, 0, -6}, Case{6.0000005f, 1, -6}, Case{5, 0, -6}, Case{7, 1, -6}, Case{12, 1, -5},
        Case{0.001f, -12, -18}, Case{448, 7, 0}, Case{449, 7, 1}, Case{1e-40f, -127, -127}}) {
    CAPTURE(c.m);
    CHECK(mx_fake_exponent(c.m, MxElement::e2m1) == c.e2m1);
    CHECK(mx_fake_exponent(c.m, MxElement::e4m3) == c.e4m3);
    CHECK(mx_real_exponent(c.m, 6.0f) == c.e2m1);
    CHECK(mx_real_exponent(c.m, 448.0f) == c.e4m3);
  }
}

TEST_CASE("M3 MXFP8") {
  std::vector<float> x{500, 1, -3.3f, 0, 300, 1e-4f};
  x.resize(32, 0.5f);
  const MxPacked p = pack_mxfp8(x, {1, 32});
  check_bytes(p.scales, {0x80});
  check_bytes(p.codes, {0x78, 0x30, 0xbd, 0x00, 0x71, 0x00});
  std::vector<float> deq(32), fake(32);
  unpack_mxfp8(p, {1, 32}, deq);
  check_bits(std::span<const float>(deq).first(6), {512, 1, -3.25f, 0, 288, 0});
  mx_fake_quant(x, fake, {32}, MxElement::e4m3);
  check_bits(fake, deq);
}

TEST_CASE("H1 Hadamard") {
  check_bits(run_hadamard({1, 2, 3, 4}), {5, -1, -2, 0});
  const std::vector<float> h8{12.727921485900879f,
                              -1.4142135381698608f,
                              -2.8284270763397217f,
                              0,
                              -5.656854152679443f,
                              0,
                              0,
                              0};
  check_bits(run_hadamard({1, 2, 3, 4, 5, 6, 7, 8}), h8);
  check_bits(run_hadamard({1, 0, 0, 0, 0, 0, 0, 0}), std::vector<float>(8, 0.3535533845424652f));
  check_bits(run_hadamard(std::vector<float>(8, 1.0f)), {2.8284270763397217f, 0, 0, 0, 0, 0, 0, 0});
  check_bits(run_hadamard(h8),
             {0.9999998807907104f, 1.999999761581421f, 2.999999761581421f, 3.999999761581421f,
              4.999999523162842f, 5.999999523162842f, 6.999999523162842f, 7.999999523162842f});
  check_bits(run_hadamard({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}),
             {5, -1, -2, 0, 13, -1, -2, 0, 21, -1, -2, 0});
  check_bits(run_hadamard({1, 2, 3, 4, 5, 6, 7, 8}, 2),
             {2.1213202476501465f, -0.7071067690849304f, 4.949747562408447f, -0.7071067690849304f,
              7.77817440032959f, -0.7071067690849304f, 10.60660171508789f, -0.7071067690849304f});
}

TEST_CASE("P1 INT4 export packing") {
  const std::vector<float> w{0.7f, -0.35f, 0.1f, -0.7f, 0.05f, 0.5f, -0.5f, 0.25f};
  const Int4Packed p = pack_int4_export(w, {2, 4}, 4, std::vector<float>{0.7f, 0.5f});
  check_bytes(p.codes, {0x17, 0x7c, 0x91, 0x39});
}

TEST_CASE("S1 W4A8 sequential") {
  const std::vector<float> w{0.7f, -0.35f, 0.1f, -0.7f, 0.05f, 0.5f, -0.5f, 0.25f};
  std::vector<float> i4(8), f8(8);
  int_fake_quant(w, i4, {2, 4}, {4}, PerBlock{4}, std::vector<float>{0.7f, 0.5f});
  check_bits(i4, {0.699999988079071f, -0.4000000059604645f, 0.10000000149011612f,
                  -0.699999988079071f, 0.0714285746216774f, 0.5f, -0.5f, 0.2857142984867096f});
  fp8_fake_quant(i4, f8, {2, 4}, PerTensor{}, max_amax(w, {2, 4}, PerTensor{}));
  check_bits(f8, {0.699999988079071f, -0.4000000059604645f, 0.10000000149011612f,
                  -0.699999988079071f, 0.06875000149011612f, 0.5f, -0.5f, 0.2750000059604645f});
}

}  // namespace
}  // namespace qcfg::numerics
