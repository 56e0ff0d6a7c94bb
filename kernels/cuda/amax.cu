// Fused amax reductions. |x| of a float is ordered like its bit pattern as unsigned, and every
// NaN pattern is above +inf, so atomicMax on the bits yields a NaN-propagating max (torch.max).
#include <algorithm>
#include <atomic>

#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;

// kUnroll independent 16-byte loads per thread and round: on tensors of a few MB (calibration's
// activations) a thread has all its loads in flight at once instead of one after the other.
template <class T, int kUnroll>
__global__ void amax_tensor_kernel(const T* __restrict__ x, int64_t numel,
                                   unsigned* __restrict__ out_bits, bool vectorized) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  int64_t v = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  unsigned best = 0;
  const int64_t nvec = vectorized ? numel / kN : 0;
  for (; v + (kUnroll - 1) * nthreads < nvec; v += kUnroll * nthreads) {
    float buf[kUnroll][kN];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) detail::load_vec(x + (v + u * nthreads) * kN, buf[u]);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
#pragma unroll
      for (int i = 0; i < kN; ++i) best = max(best, float_bits(abs_f(buf[u][i])));
    }
  }
  for (; v < nvec; v += nthreads) {
    float buf[kN];
    detail::load_vec(x + v * kN, buf);
#pragma unroll
    for (int i = 0; i < kN; ++i) best = max(best, float_bits(abs_f(buf[i])));
  }
  const int64_t tid = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  for (int64_t i = nvec * kN + tid; i < numel; i += nthreads)
    best = max(best, float_bits(abs_f(detail::load1(x + i))));
#pragma unroll
  for (int off = 16; off > 0; off /= 2) best = max(best, __shfl_xor_sync(0xffffffffu, best, off));
  __shared__ unsigned warp_best[32];
  if ((threadIdx.x & 31) == 0) warp_best[threadIdx.x / 32] = best;
  __syncthreads();
  if (threadIdx.x == 0) {
    for (unsigned w = 1; w < blockDim.x / 32; ++w) best = max(best, warp_best[w]);
    atomicMax(out_bits, best);
  }
}

// Resident CTAs of 256 threads on the current device (SMs x 8), looked up once per device.
unsigned resident_ctas() {
  static std::atomic<unsigned> cached[64];
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= 64) return 1024;
  unsigned n = cached[device].load(std::memory_order_relaxed);
  if (n == 0) {
    int sms = 0;
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
        sms <= 0)
      return 1024;
    n = static_cast<unsigned>(sms) * 8;
    cached[device].store(n, std::memory_order_relaxed);
  }
  return n;
}

template <class T>
__global__ void amax_block16_kernel(const T* __restrict__ x, int64_t rows, int64_t cols,
                                    float* __restrict__ out, bool vectorized) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  const int64_t col_blocks = (cols + 15) / 16;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
       b < rows * col_blocks; b += nthreads) {
    unsigned best = 0;
    if (vectorized) {  // whole 16-element blocks, 16-byte aligned: b * 16 is the element offset
#pragma unroll
      for (int c = 0; c < 16 / kN; ++c) {
        float part[kN];
        detail::load_vec(x + b * 16 + c * kN, part);
#pragma unroll
        for (int i = 0; i < kN; ++i) best = max(best, float_bits(abs_f(part[i])));
      }
    } else {
      const T* p = x + (b / col_blocks) * cols + (b % col_blocks) * 16;
      const int64_t rest = cols - (b % col_blocks) * 16;
      const int64_t len = rest < 16 ? rest : 16;
      for (int64_t i = 0; i < len; ++i) best = max(best, float_bits(abs_f(detail::load1(p + i))));
    }
    out[b] = bits_float(best);
  }
}

}  // namespace

cudaError_t amax_per_tensor(const void* x, int64_t numel, DType dtype, float* amax_out,
                            cudaStream_t stream) {
  if (x == nullptr || amax_out == nullptr || numel <= 0) return cudaErrorInvalidValue;
  cudaError_t err = cudaMemsetAsync(amax_out, 0, sizeof(float), stream);
  if (err != cudaSuccess) return err;
  return amax_fold_per_tensor(x, numel, dtype, amax_out, stream);
}

cudaError_t amax_fold_per_tensor(const void* x, int64_t numel, DType dtype, float* acc,
                                 cudaStream_t stream) {
  if (x == nullptr || acc == nullptr || numel <= 0) return cudaErrorInvalidValue;
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int kThreads = 256, kUnroll = 4;
    // One atomic per CTA: at most one wave of CTAs, each thread kUnroll vectors a round.
    constexpr int64_t kPerCta = int64_t{kThreads} * kUnroll * detail::VecTraits<T>::kElems;
    const unsigned grid = static_cast<unsigned>(
        std::clamp<int64_t>((numel + kPerCta - 1) / kPerCta, 1, resident_ctas()));
    amax_tensor_kernel<T, kUnroll><<<grid, kThreads, 0, stream>>>(
        static_cast<const T*>(x), numel, reinterpret_cast<unsigned*>(acc), detail::aligned16(x));
  });
}

cudaError_t amax_per_block16(const void* x, int64_t rows, int64_t cols, DType dtype,
                             float* amax_out, cudaStream_t stream) {
  if (x == nullptr || amax_out == nullptr || rows <= 0 || cols <= 0) return cudaErrorInvalidValue;
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int kThreads = 256;
    const bool vectorized = cols % 16 == 0 && detail::aligned16(x);
    amax_block16_kernel<T>
        <<<detail::grid_for(rows * ((cols + 15) / 16), kThreads), kThreads, 0, stream>>>(
            static_cast<const T*>(x), rows, cols, amax_out, vectorized);
  });
}

}  // namespace qcfg::cuda
