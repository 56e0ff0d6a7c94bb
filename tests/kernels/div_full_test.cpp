// The host emulation of div.full.f32 (kernels/cpu/div_full.h) against quotients the GPU itself
// computed (data/div_full_vectors.txt, recorded on an H200 by tools/gpu/divfull/run.sh): random
// operands of every range and every pair of special values, bit for bit.
#include "kernels/cpu/div_full.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/cpu/minifloat.h"

namespace {

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}
uint32_t to_bits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

}  // namespace

TEST_CASE("div.full.f32 emulation equals the GPU's quotients") {
  std::ifstream in(QCFG_KERNELS_TEST_DATA "/div_full_vectors.txt");
  REQUIRE(in.good());
  std::string line;
  int checked = 0, differ = 0, not_ieee = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    uint32_t x = 0, y = 0, q = 0;
    fields >> std::hex >> x >> y >> q;
    REQUIRE(!fields.fail());
    const float got = qcfg::numerics::div_full_emulated(from_bits(x), from_bits(y));
    if (to_bits(got) != q) {
      ++differ;
      MESSAGE("x=" << std::hexfloat << from_bits(x) << " y=" << from_bits(y)
                   << " gpu=" << from_bits(q) << " emulated=" << got);
    }
    if (to_bits(from_bits(x) / from_bits(y)) != q) ++not_ieee;
    ++checked;
  }
  CHECK(checked > 2000);
  CHECK(differ == 0);
  // The vectors are worth keeping only if IEEE division would get many of them wrong.
  CHECK(not_ieee > checked / 10);
}

TEST_CASE("MUFU.RCP emulation: exact powers of two, specials") {
  using qcfg::numerics::mufu_rcp_emulated;
  CHECK(mufu_rcp_emulated(1.0f) == 1.0f);
  CHECK(mufu_rcp_emulated(0x1p-100f) == 0x1p100f);
  CHECK(mufu_rcp_emulated(-4.0f) == -0.25f);
  CHECK(std::isinf(mufu_rcp_emulated(0.0f)));
  CHECK(mufu_rcp_emulated(INFINITY) == 0.0f);
  CHECK(to_bits(mufu_rcp_emulated(NAN)) == 0x7fffffffu);
}

// The prepared divisor (one MUFU.RCP per block scale) against the full sequence: every bf16
// dividend, fp32 dividends next to the subnormal and overflow limits, over every positive and
// negative E4M3 value times NVFP4-like global scales, and the divisors at and beyond the limits
// of the plain range (where the prepared form falls back to div_full).
TEST_CASE("div_full with a prepared divisor equals div_full") {
  using namespace qcfg::numerics;
  std::vector<float> xs;
  for (uint32_t b = 0; b < 0x10000u; ++b) xs.push_back(from_bits(b << 16));
  for (const uint32_t b : {0x00000001u, 0x007fffffu, 0x00800000u, 0x7f7fffffu, 0x3f800001u})
    xs.push_back(from_bits(b));
  std::vector<float> ys;
  for (const float gs : {1.0f, 1.0f / 2688.0f, 3.0e-3f / 2688.0f, 1e-12f, 1e30f}) {
    for (uint32_t code = 1; code < 0x7f; ++code) {
      ys.push_back(e4m3_value(static_cast<uint8_t>(code)) * gs);
      ys.push_back(-e4m3_value(static_cast<uint8_t>(code)) * gs);
    }
  }
  for (const float y : {0x1p-126f, 0x1p126f, 0x1.000002p126f, 0x1.fffffcp-127f, 0x1p-149f, 0.0f,
                        -0.0f, 0x1p127f, INFINITY, -INFINITY, NAN})
    ys.push_back(y);
  uint64_t bad = 0;
  for (const float y : ys) {
    const DivFullDivisor d = div_full_divisor(y);
    for (const float x : xs) bad += to_bits(div_full(x, d)) != to_bits(div_full_emulated(x, y));
  }
  CHECK(bad == 0);
  CHECK(div_full_divisor(0x1p126f).plain);
  CHECK(!div_full_divisor(0x1.000002p126f).plain);
  CHECK(!div_full_divisor(0x1.fffffcp-127f).plain);
}
