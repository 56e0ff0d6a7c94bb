// The canonical Hadamard arithmetic shared by CPU and CUDA (spec §7, vector H1).
//
// The reference sums each output exactly-ish (Python double sum of fp32 inputs) and rounds once:
// y_i = f32( f32(sum_j (-1)^popcount(i&j) x_j) * f32(n^-1/2) ). We reproduce that with a
// Sylvester butterfly in fp64 whose stage order is fixed (highest bit first), so CPU and GPU agree
// bit for bit; the fp64 sums are exact unless a block spans more than ~(29 - log2 n) binades.
#pragma once

#include "kernels/cpu/hd.h"

namespace qcfg::numerics {

inline constexpr int kMaxHadamardLog2 = 15;  // ModelOpt's kernel limit: n <= 32768

// f32(n^-1/2) for n = 2^log2n: an exact power of two times f32(1/sqrt(2)) when log2n is odd.
QCFG_HD float hadamard_scale(int log2n) {
  const float inv_sqrt2 = bits_float(0x3f3504f3u);
  return (log2n % 2 == 0) ? pow2f(-log2n / 2) : inv_sqrt2 * pow2f(-(log2n - 1) / 2);
}

// One butterfly: lower <- lower + upper, upper <- lower - upper.
QCFG_HD void hadamard_butterfly(double& lower, double& upper) {
  const double a = lower;
  const double b = upper;
  lower = a + b;
  upper = a - b;
}

QCFG_HD float hadamard_finish(double sum, float scale) { return static_cast<float>(sum) * scale; }

}  // namespace qcfg::numerics
