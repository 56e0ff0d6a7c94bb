// The host emulation of div.full.f32 (kernels/cpu/div_full.h) against quotients the GPU itself
// computed (data/div_full_vectors.txt, recorded on an H200 by tools/gpu/divfull/run.sh): random
// operands of every range and every pair of special values, bit for bit.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "kernels/cpu/div_full.h"

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
      MESSAGE("x=" << std::hexfloat << from_bits(x) << " y=" << from_bits(y) << " gpu="
                   << from_bits(q) << " emulated=" << got);
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
