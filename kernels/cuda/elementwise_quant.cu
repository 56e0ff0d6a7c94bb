// Per-element fake quant with per-tensor / per-axis / per-block amax: INT (incl. INT4 blocks)
// and FP8 E4M3. One pass, 16-byte vector loads, two vectors in flight per thread; scales
// recomputed from the amax (same fp32 ops as the CPU reference, which precomputes them —
// identical values): once per thread for a per-tensor amax, once per vector when a vector shares
// one entry, else per element; the entry's index via FastDiv32 below 2^32 elements.
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
                                   detail::AmaxSource src, Op op, bool vectorized,
                                   bool vector_uniform) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  constexpr int kPer = 2;  // vectors in flight per thread
  const int64_t tid = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t nvec = vectorized ? numel / kN : 0;
  const bool per_tensor = src.wide.kind == AmaxIndexing::Kind::tensor;
  // Per-tensor params (with their divisions) once per thread, not once per vector.
  const auto tensor_params = op.params(src.amax[0]);
  for (int64_t v = tid; v < nvec; v += nthreads * kPer) {
    float buf[kPer][kN];
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      if (v + k * nthreads < nvec) detail::load_vec(x + (v + k * nthreads) * kN, buf[k]);
    }
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      const int64_t first = (v + k * nthreads) * kN;
      if (first >= nvec * kN) continue;
      if (per_tensor || vector_uniform) {
        const auto p = per_tensor ? tensor_params : op.params(src.at(first));
#pragma unroll
        for (int i = 0; i < kN; ++i) buf[k][i] = op.apply(buf[k][i], p);
      } else {
#pragma unroll
        for (int i = 0; i < kN; ++i) buf[k][i] = op.apply(buf[k][i], op.params(src.at(first + i)));
      }
      detail::store_vec(y + first, buf[k]);
    }
  }
  for (int64_t i = nvec * kN + tid; i < numel; i += nthreads) {
    detail::store1(y + i, op.apply(detail::load1(x + i), op.params(src.at(i))));
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
    constexpr int64_t kPerThread = 2 * detail::VecTraits<T>::kElems;
    const unsigned grid = detail::grid_for((numel + kPerThread - 1) / kPerThread, kThreads);
    const bool uniform = detail::uniform_over(indexing, detail::VecTraits<T>::kElems);
    const auto src = detail::AmaxSource::make(amax, indexing, numel);
    elementwise_kernel<T><<<grid, kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), numel, src, op, vectorized, uniform);
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
