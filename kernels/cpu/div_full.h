// Float32 division as Triton compiles it: PTX div.full.f32, an approximate division (up to 2 ulp)
// and not IEEE x / y. ModelOpt 0.47's NVFP4 Triton kernels divide this way, so reproducing their
// output bit for bit needs the same arithmetic (docs/numerics.md, "div.full.f32").
//
// On the GPU it is the instruction itself. On the host it is an emulation of what ptxas makes of
// it on sm_90 (read off cuobjdump, tools/gpu/divfull/): operands with |y| > 2^126 are both scaled
// by 1/4, subnormal y (and y's NaN-free tiny range) by 2^24, then x times MUFU.RCP(y) rounded to
// nearest. MUFU.RCP is a hardware approximation: its result for every mantissa was recorded on an
// H200 as a delta of -1, 0 or +1 ulp from the correctly rounded reciprocal
// (kernels/cpu/data/mufu_rcp_delta.bin, 2 MiB: 2 bits per mantissa, linked in with .incbin).
#pragma once

#include "kernels/cpu/hd.h"

namespace qcfg::numerics {

// The host emulation (kernels/cpu/div_full.cpp). A NaN result is the GPU's 0x7fffffff.
float div_full_emulated(float x, float y);

// MUFU.RCP of a float (the reciprocal approximation div.full.f32 is built on), for tests.
float mufu_rcp_emulated(float y);

QCFG_HD float div_full(float x, float y) {
#if defined(__CUDA_ARCH__)
  float q;
  asm("div.full.f32 %0, %1, %2;" : "=f"(q) : "f"(x), "f"(y));
  return q;
#else
  return div_full_emulated(x, y);
#endif
}

// Many quotients x / y by one y (a block scale): the sequence above without its scaling steps is
// MUFU.RCP(y) * x, so for 2^-126 <= |y| <= 2^126 (neither scaling step applies, and MUFU.RCP of a
// normal y is normal, so rcp.approx.ftz is the plain MUFU.RCP) the reciprocal is computed once and
// each quotient is one multiplication rounded to nearest; any other y takes div_full. The result
// is div_full's bit for bit (tests/kernels/div_full_test.cpp on the host; on the GPU the
// equality tests, since the identity rests on ptxas's expansion read off the SASS).
struct DivFullDivisor {
  float y;
  float rcp;   // MUFU.RCP(y) when plain
  bool plain;  // 2^-126 <= |y| <= 2^126
};

QCFG_HD DivFullDivisor div_full_divisor(float y) {
  const float ay = abs_f(y);
  const bool plain = ay >= 0x1p-126f && ay <= 0x1p126f;
  float r = 0.0f;
  if (plain) {
#if defined(__CUDA_ARCH__)
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(y));
#else
    r = mufu_rcp_emulated(y);
#endif
  }
  return DivFullDivisor{y, r, plain};
}

QCFG_HD float div_full(float x, const DivFullDivisor& d) {
  if (!d.plain) return div_full(x, d.y);
#if defined(__CUDA_ARCH__)
  return __fmul_rn(d.rcp, x);  // the GPU writes 0x7fffffff for a NaN product
#else
  const float q = d.rcp * x;
  return is_nan(q) ? bits_float(0x7fffffffu) : q;
#endif
}

}  // namespace qcfg::numerics
