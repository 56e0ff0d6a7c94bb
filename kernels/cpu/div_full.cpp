#include "kernels/cpu/div_full.h"

#include <cstdint>

// The recorded table, linked in from its file (meson passes the path).
asm(".section .rodata\n"
    ".global qcfg_mufu_rcp_delta\n"
    ".global qcfg_mufu_rcp_delta_end\n"
    ".balign 16\n"
    "qcfg_mufu_rcp_delta:\n"
    ".incbin \"" QCFG_MUFU_RCP_TABLE "\"\n"
    "qcfg_mufu_rcp_delta_end:\n"
    ".previous\n");
extern "C" const unsigned char qcfg_mufu_rcp_delta[];
extern "C" const unsigned char qcfg_mufu_rcp_delta_end[];

namespace qcfg::numerics {
namespace {

constexpr uint32_t kCanonicalNan = 0x7fffffffu;  // what the GPU writes for a NaN quotient

// 2 bits per mantissa, four per byte, lowest bits first: delta + 1 (0, 1, 2 for -1, 0, +1 ulp).
int delta_ulps(uint32_t mantissa) {
  const uint8_t byte = qcfg_mufu_rcp_delta[mantissa >> 2];
  return static_cast<int>((byte >> (2 * (mantissa & 3u))) & 3u) - 1;
}

}  // namespace

float mufu_rcp_emulated(float y) {
  const uint32_t bits = float_bits(y);
  const uint32_t sign = bits & 0x80000000u;
  const uint32_t exponent = (bits >> 23) & 0xffu;
  const uint32_t mantissa = bits & 0x7fffffu;
  if (is_nan(y)) return bits_float(kCanonicalNan);
  if (exponent == 0xffu) return bits_float(sign);                 // 1/inf = 0
  if (exponent == 0) return bits_float(sign | 0x7f800000u);       // subnormals flush: 1/0 = inf
  // rcp(1.m) in (0.5, 1], then the exponent: exact, and normal for every y div_full passes.
  const float base = 1.0f / bits_float(0x3f800000u | mantissa);
  const uint32_t base_bits = float_bits(base) + static_cast<uint32_t>(delta_ulps(mantissa));
  const int32_t biased = static_cast<int32_t>((base_bits >> 23) & 0xffu) + 127 -
                         static_cast<int32_t>(exponent);
  if (biased <= 0) return bits_float(sign);  // below the normal range: flushed, as .ftz does
  return bits_float(sign | (static_cast<uint32_t>(biased) << 23) | (base_bits & 0x7fffffu));
}

float div_full_emulated(float x, float y) {
  const float ay = abs_f(y);
  if (ay > 0x1p126f) {
    x *= 0.25f;
    y *= 0.25f;
  }
  if (ay < 0x1p-126f) {
    x *= 0x1p24f;
    y *= 0x1p24f;
  }
  const float q = mufu_rcp_emulated(y) * x;
  return is_nan(q) ? bits_float(kCanonicalNan) : q;
}

}  // namespace qcfg::numerics
