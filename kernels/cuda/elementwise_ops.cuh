// The per-element fake-quant ops of INT and FP8 E4M3 with per-amax parameters, shared by the
// elementwise kernels (elementwise_quant.cu) and the v5 INT block kernel (int_block_quant.cu).
#pragma once

#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda::detail {

using namespace numerics;

// Each op splits into the per-amax part (params, with its divisions) and the per-element part,
// so elements that share one amax entry compute their params once.
struct IntOp {
  IntRange range;
  TinyAmaxRule rule;
  struct Params {
    bool tiny;
    IntDivisor divisor;
  };
  __device__ Params params(float amax) const {
    return {int_amax_is_tiny(amax, rule), int_divisor(range.max_bound / amax)};
  }
  __device__ float apply(float x, const Params& p) const {
    return p.tiny ? int_tiny_output(x, rule) : int_qdq(x, p.divisor, range);
  }
  // The branches on the params are uniform over the vector: taken once, not per element.
  template <int kN>
  __device__ void apply_vec(float (&v)[kN], const Params& p) const {
    if (p.tiny) {
#pragma unroll
      for (int i = 0; i < kN; ++i) v[i] = int_tiny_output(v[i], rule);
    } else if (p.divisor.fast) {
#pragma unroll
      for (int i = 0; i < kN; ++i) v[i] = int_qdq(v[i], p.divisor, range);
    } else {
#pragma unroll
      for (int i = 0; i < kN; ++i) v[i] = int_qdq(v[i], p.divisor.scale, range);
    }
  }
};

struct Fp8Op {
  using Params = Fp8Scale;
  __device__ Params params(float amax) const { return fp8_scale(amax); }
  __device__ float apply(float x, const Params& p) const { return fp8_qdq(x, p); }
  template <int kN>
  __device__ void apply_vec(float (&v)[kN], const Params& p) const {
#pragma unroll
    for (int i = 0; i < kN; i += 2) fp8_qdq2(v[i], v[i + 1], p);
  }
};

// v5 (segment_quant.cu): per-channel or per-block amax with a thread's kSegUnroll vectors in one
// amax entry (one parameter set for all of them, no per-vector index). Launches and returns true
// when the layout applies (16-byte aligned buffers, fewer than 2^32 elements, the entry's run of
// elements, the channel stride or the block with cols a multiple of it, divisible by 2 * kN *
// kSegUnroll, numel divisible by the segment); else launches nothing and returns false. *status:
// the launch status when it launched. Instantiated for IntOp and Fp8Op.
constexpr int kSegUnroll = 4;
template <class Op>
bool launch_segments(const void* x, void* y, int64_t numel, DType dtype, const float* amax,
                     const AmaxIndexing& ix, const Op& op, cudaStream_t stream,
                     cudaError_t* status);

}  // namespace qcfg::cuda::detail
