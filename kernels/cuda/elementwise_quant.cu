// Per-element fake quant with per-tensor / per-axis / per-block amax: INT (incl. INT4 blocks)
// and FP8 E4M3. One pass, 16-byte vector loads; scales recomputed per element from the amax
// (same fp32 ops as the CPU reference, which precomputes them — identical values).
#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;

struct IntOp {
  IntRange range;
  TinyAmaxRule rule;
  __device__ float operator()(float x, float amax) const {
    if (int_amax_is_tiny(amax, rule)) return int_tiny_output(x, rule);
    return int_qdq(x, range.max_bound / amax, range);
  }
};

struct Fp8Op {
  __device__ float operator()(float x, float amax) const { return fp8_qdq(x, fp8_scale(amax)); }
};

template <class T, class Op>
__global__ void elementwise_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t numel,
                                   const float* __restrict__ amax, AmaxIndexing indexing, Op op,
                                   bool vectorized) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  const int64_t tid = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t nvec = vectorized ? numel / kN : 0;
  for (int64_t v = tid; v < nvec; v += nthreads) {
    float buf[kN];
    detail::load_vec(x + v * kN, buf);
#pragma unroll
    for (int i = 0; i < kN; ++i) buf[i] = op(buf[i], amax[indexing.index(v * kN + i)]);
    detail::store_vec(y + v * kN, buf);
  }
  for (int64_t i = nvec * kN + tid; i < numel; i += nthreads) {
    detail::store1(y + i, op(detail::load1(x + i), amax[indexing.index(i)]));
  }
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
    elementwise_kernel<T><<<grid, kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), numel, amax, indexing, op, vectorized);
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
