// Per-element fake quant with per-tensor / per-axis / per-block amax: INT (incl. INT4 blocks)
// and FP8 E4M3. One pass, 16-byte vector loads; scales recomputed per element from the amax
// (same fp32 ops as the CPU reference, which precomputes them — identical values).
#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;

// Each op splits into the per-amax part (params, with its divisions) and the per-element part,
// so a vector of elements that share one amax entry computes its params once.
struct IntOp {
  IntRange range;
  TinyAmaxRule rule;
  struct Params {
    bool tiny;
    float scale;
  };
  __device__ Params params(float amax) const {
    return {int_amax_is_tiny(amax, rule), range.max_bound / amax};
  }
  __device__ float apply(float x, Params p) const {
    return p.tiny ? int_tiny_output(x, rule) : int_qdq(x, p.scale, range);
  }
};

struct Fp8Op {
  using Params = Fp8Scale;
  __device__ Params params(float amax) const { return fp8_scale(amax); }
  __device__ float apply(float x, Params p) const { return fp8_qdq(x, p); }
};

template <class T, class Op>
__global__ void elementwise_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t numel,
                                   const float* __restrict__ amax, AmaxIndexing indexing, Op op,
                                   bool vectorized, bool vector_uniform) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  const int64_t tid = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t nvec = vectorized ? numel / kN : 0;
  for (int64_t v = tid; v < nvec; v += nthreads) {
    float buf[kN];
    detail::load_vec(x + v * kN, buf);
    if (vector_uniform) {
      const auto p = op.params(amax[indexing.index(v * kN)]);
#pragma unroll
      for (int i = 0; i < kN; ++i) buf[i] = op.apply(buf[i], p);
    } else {
#pragma unroll
      for (int i = 0; i < kN; ++i) buf[i] = op.apply(buf[i], op.params(amax[indexing.index(v * kN + i)]));
    }
    detail::store_vec(y + v * kN, buf);
  }
  for (int64_t i = nvec * kN + tid; i < numel; i += nthreads) {
    detail::store1(y + i, op.apply(detail::load1(x + i), op.params(amax[indexing.index(i)])));
  }
}

// True when every aligned group of n consecutive elements maps to one amax entry.
bool uniform_over(const AmaxIndexing& ix, int64_t n) {
  switch (ix.kind) {
    case AmaxIndexing::Kind::tensor: return true;
    case AmaxIndexing::Kind::axis: return ix.stride % n == 0;
    case AmaxIndexing::Kind::block: return ix.block % n == 0 && ix.cols % n == 0;
  }
  return false;
}

template <class Op>
cudaError_t launch_elementwise(const void* x, void* y, int64_t numel, DType dtype,
                               const float* amax, AmaxIndexing indexing, Op op,
                               cudaStream_t stream) {
  if (x == nullptr || y == nullptr || amax == nullptr || numel <= 0) return cudaErrorInvalidValue;
  const bool vectorized = detail::aligned16(x) && detail::aligned16(y);
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int kThreads = 256;
    const unsigned grid = detail::grid_for(
        (numel + detail::VecTraits<T>::kElems - 1) / detail::VecTraits<T>::kElems, kThreads);
    const bool uniform = uniform_over(indexing, detail::VecTraits<T>::kElems);
    elementwise_kernel<T><<<grid, kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                         static_cast<T*>(y), numel, amax,
                                                         indexing, op, vectorized, uniform);
  });
}

}  // namespace

cudaError_t int_fake_quant(const void* x, void* y, int64_t numel, DType dtype, const float* amax,
                           AmaxIndexing indexing, IntQuantParams p, cudaStream_t stream) {
  if (p.num_bits < 2 || p.num_bits > 8) return cudaErrorInvalidValue;
  const IntOp op{int_range(p.num_bits, p.is_unsigned, p.narrow_range), p.tiny_amax};
  return launch_elementwise(x, y, numel, dtype, amax, indexing, op, stream);
}

cudaError_t fp8_fake_quant(const void* x, void* y, int64_t numel, DType dtype, const float* amax,
                           AmaxIndexing indexing, cudaStream_t stream) {
  return launch_elementwise(x, y, numel, dtype, amax, indexing, Fp8Op{}, stream);
}

}  // namespace qcfg::cuda
