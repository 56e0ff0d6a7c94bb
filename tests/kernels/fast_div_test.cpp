// FastDiv32 (kernels/cuda/fast_div.h, the CUDA kernels' index division) equals / and % on the
// host, where it compiles to the same arithmetic: every divisor up to 2^13 against every
// numerator up to 2^16 and the numerators next to its multiples and to 2^32; powers of two, their
// neighbours and pseudo-random divisors against boundary and pseudo-random numerators.
#include "kernels/cuda/fast_div.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

namespace qcfg::cuda {
namespace {

uint64_t mismatches(uint32_t d, const std::vector<uint32_t>& numerators) {
  const FastDiv32 f = FastDiv32::make(d);
  uint64_t bad = 0;
  for (const uint32_t n : numerators) bad += f.div(n) != n / d || f.mod(n) != n % d;
  return bad;
}

std::vector<uint32_t> boundary_numerators(uint32_t d, uint32_t& state) {
  std::vector<uint32_t> ns = {0u,          1u,          d - 1u,      d,          d + 1u,
                              0x7fffffffu, 0x80000000u, 0xfffffffeu, 0xffffffffu};
  for (uint32_t k = 1; k < 64; ++k) {
    const uint64_t m = static_cast<uint64_t>(0xffffffffu / d) / 64u * k * d;
    for (int64_t delta = -1; delta <= 1; ++delta) ns.push_back(static_cast<uint32_t>(m + delta));
  }
  const uint64_t top = static_cast<uint64_t>(0xffffffffu / d) * d;
  for (int64_t delta = -2; delta <= 2; ++delta) ns.push_back(static_cast<uint32_t>(top + delta));
  for (int i = 0; i < 256; ++i) {
    state = state * 1664525u + 1013904223u;  // LCG: reproducible pseudo-random numerators
    ns.push_back(state);
  }
  return ns;
}

TEST_CASE("FastDiv32: divisors 1..8192, numerators 0..65535 and boundaries") {
  std::vector<uint32_t> small(65536);
  for (uint32_t n = 0; n < small.size(); ++n) small[n] = n;
  uint32_t state = 12345u;
  uint64_t bad = 0;
  for (uint32_t d = 1; d <= 8192; ++d) {
    bad += mismatches(d, small);
    bad += mismatches(d, boundary_numerators(d, state));
  }
  CHECK(bad == 0);
}

TEST_CASE("FastDiv32: powers of two, neighbours and large divisors") {
  uint32_t state = 987654321u;
  std::vector<uint32_t> divisors;
  for (uint32_t l = 0; l < 32; ++l) {
    const uint32_t p = 1u << l;
    for (const uint32_t d : {p - 1u, p, p + 1u})
      if (d != 0) divisors.push_back(d);
  }
  divisors.push_back(0xffffffffu);
  for (int i = 0; i < 4096; ++i) {
    state = state * 1664525u + 1013904223u;
    divisors.push_back(state | 1u);
    divisors.push_back((state >> (i % 24)) + 1u);
  }
  uint64_t bad = 0;
  for (const uint32_t d : divisors) bad += mismatches(d, boundary_numerators(d, state));
  CHECK(bad == 0);
}

}  // namespace
}  // namespace qcfg::cuda
