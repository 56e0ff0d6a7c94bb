// Block-max helpers and the MX full-block op, shared by block_quant.cu (v3 / v4 layouts) and the
// v5 MX kernel (mx_segment_quant.cu).
#pragma once

#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda::detail {

using namespace numerics;

template <int kBlock>
__device__ float block_abs_max(const float (&v)[kBlock]) {
  float m = 0.0f;
#pragma unroll
  for (int i = 0; i < kBlock; ++i) m = fmax_nan_skip(m, abs_f(v[i]));
  return m;
}

// The block max from load_full_block's bits: the NaN-skipping float max when the block holds NaN.
template <int kBlock>
__device__ __forceinline__ float full_block_max(uint32_t max_bits, const float (&v)[kBlock]) {
  return max_bits > 0x7f800000u ? block_abs_max(v) : bits_float(max_bits);
}

template <int kLanes>
__device__ __forceinline__ uint32_t group_max(uint32_t m) {
  static_assert(kLanes >= 1 && kLanes <= 32 && (kLanes & (kLanes - 1)) == 0);
#pragma unroll
  for (int o = 1; o < kLanes; o <<= 1) m = max(m, __shfl_xor_sync(0xffffffffu, m, o));
  return m;
}

// The magnitude bits' max over the non-NaN elements (0 when there are none): block_abs_max's
// bits for a lane's share, so the group max of these equals block_abs_max of the whole block.
template <int kN>
__device__ __forceinline__ uint32_t nan_skipping_max_bits(const float (&v)[kN]) {
  uint32_t m = 0;
#pragma unroll
  for (int i = 0; i < kN; ++i) {
    m = max(m, nan_skipping_magnitude_bits(v[i]));
  }
  return m;
}

// MX on a full block with the element format fixed at compile time.
template <MxElement kElement>
struct MxFullOp {
  static constexpr bool kLaneLayout = true;  // v4: 0.70x -> 0.82x copy on the H200
  static constexpr MxElement kE = kElement;
  __device__ int setup() const { return 0; }
  template <int kBlock>
  __device__ void operator()(float (&v)[kBlock], uint32_t max_bits, int state) const {
    apply(v, full_block_max(max_bits, v), state);
  }
  template <int kN>
  __device__ void apply(float (&v)[kN], float block_max, int) const {
    apply_scale(v, block_scale(block_max));
  }
  // The block's powers of two (v5: once per block for all of a lane's vectors of it).
  struct Scale {
    float down, up;  // 2^-k, 2^k
  };
  __device__ static Scale block_scale(float block_max) {
    const int k = mx_fake_exponent_fast<kElement>(block_max);  // mx_fake_exponent's k
    return {pow2f(-k), pow2f(k)};
  }
  template <int kN>
  __device__ void apply_scale(float (&v)[kN], Scale s) const {
#pragma unroll
    for (int i = 0; i < kN; ++i) v[i] = mx_qdq_fast<kElement>(v[i], s.down, s.up);
  }
};

// v5 (mx_segment_quant.cu): full MX blocks of 32 with two lanes per block and each lane holding
// two (fp32: four) vectors of it, so a block's max takes one shuffle and its exponent is derived
// once per lane for all of them. Launches and returns true for vecs < 2^32 / kN (vecs: the
// tensor's 16-byte vectors, a multiple of the block's); else launches nothing and returns false.
// Instantiated for every element format and storage type.
template <class T, MxElement kElement>
bool launch_mx_segments(const T* x, T* y, int64_t vecs, cudaStream_t stream);

}  // namespace qcfg::cuda::detail
