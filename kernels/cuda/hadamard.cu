// Normalized Hadamard transform (blocks 2..32768) and the fused rotate -> NVFP4 -> rotate back.
// Canonical arithmetic (kernels/cpu/hadamard_core.h): fp64 butterflies, highest bit first, one
// rounding to fp32, times f32(n^-1/2), one rounding to the storage type.
//
//  * n <= 8:        one thread per block, in registers.
//  * 16 <= n <= 128: n/16 consecutive lanes per block, 16 contiguous elements each (16-byte
//                   loads and stores); the butterflies on bits >= 4 are warp shuffles (none for
//                   n = 16), bits 0..3 are thread-local. The fused kernel's 16-wide NVFP4 block
//                   is exactly one lane's elements, so it stays in that lane's registers.
//  * n >= 256:      one CTA per block in shared memory (fp64, up to 2^14 = 128 KiB); n = 2^15 is
//                   split over two CTAs, each applying the top butterfly stage while loading
//                   (exactly the first stage of the canonical order) and transforming one half.
#include "kernels/cpu/hadamard_core.h"
#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;

constexpr int kElemsPerLane = 16;
constexpr int kMaxSmemLog2 = 14;

template <int kN>
struct ShuffleTraits {
  static_assert(kN >= 16 && kN <= 128 && (kN & (kN - 1)) == 0, "shuffle path covers n = 16..128");
  static constexpr int kLanes = kN / kElemsPerLane;  // lanes per Hadamard block, divides 32
  static_assert(32 % kLanes == 0, "a Hadamard block never straddles a warp");
};

__host__ __device__ constexpr int log2_of(int n) { return n <= 1 ? 0 : 1 + log2_of(n / 2); }

// Butterflies of one n-block spread over ShuffleTraits<kN>::kLanes lanes, descending stages.
template <int kN>
__device__ __forceinline__ void hadamard_lanes(double (&v)[kElemsPerLane], int lane_in_group) {
#pragma unroll
  for (int h = kN / 2; h >= kElemsPerLane; h /= 2) {
    const int mask = h / kElemsPerLane;
    // lower: a + b, upper: a - b (a = lower, b = upper), i.e. partner + (+-own): IEEE a - b is
    // a + (-b) exactly, so one DADD after flipping the own value's sign bit in the upper lane.
    const int flip = (lane_in_group & mask) != 0 ? static_cast<int>(0x80000000u) : 0;
#pragma unroll
    for (int r = 0; r < kElemsPerLane; ++r) {
      const double partner = __shfl_xor_sync(0xffffffffu, v[r], mask);
      const double own = __hiloint2double(__double2hiint(v[r]) ^ flip, __double2loint(v[r]));
      v[r] = partner + own;
    }
  }
#pragma unroll
  for (int h = kElemsPerLane / 2; h >= 1; h /= 2) {
#pragma unroll
    for (int i = 0; i < kElemsPerLane; ++i) {
      if ((i & h) == 0) hadamard_butterfly(v[i], v[i + h]);
    }
  }
}

// One lane's kElemsPerLane contiguous elements, as 16-byte vectors when the tensor is aligned.
template <class T>
__device__ __forceinline__ void load_lane(const T* p, bool vectorized, double (&v)[kElemsPerLane]) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  if (vectorized) {
#pragma unroll
    for (int c = 0; c < kElemsPerLane / kN; ++c) {
      float part[kN];
      detail::load_vec(p + c * kN, part);
#pragma unroll
      for (int i = 0; i < kN; ++i) v[c * kN + i] = part[i];
    }
    return;
  }
#pragma unroll
  for (int r = 0; r < kElemsPerLane; ++r) v[r] = detail::load1(p + r);
}

template <class T>
__device__ __forceinline__ void store_lane(T* p, bool vectorized,
                                           const float (&out)[kElemsPerLane]) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  if (vectorized) {
#pragma unroll
    for (int c = 0; c < kElemsPerLane / kN; ++c) {
      float part[kN];
#pragma unroll
      for (int i = 0; i < kN; ++i) part[i] = out[c * kN + i];
      detail::store_vec(p + c * kN, part);
    }
    return;
  }
#pragma unroll
  for (int r = 0; r < kElemsPerLane; ++r) detail::store1(p + r, out[r]);
}

template <class T, int kN>
__device__ __forceinline__ void hadamard_round(double (&v)[kElemsPerLane],
                                               float (&out)[kElemsPerLane], int lane) {
  hadamard_lanes<kN>(v, lane);
  const float scale = hadamard_scale(log2_of(kN));
#pragma unroll
  for (int r = 0; r < kElemsPerLane; ++r) out[r] = round_to<T>(hadamard_finish(v[r], scale));
}

// kFused: H -> dynamic NVFP4 (16-wide blocks = one lane) -> H, every stage rounded to T.
template <class T, int kN, bool kFused>
__global__ void hadamard_shuffle_kernel(const T* x, T* y, int64_t numel, const float* global_amax,
                                        bool vectorized) {
  static_assert(!kFused || kElemsPerLane == 16, "the fused NVFP4 block is one lane");
  constexpr int kLanes = ShuffleTraits<kN>::kLanes;
  const int64_t lanes = numel / kElemsPerLane;
  const float gs = kFused ? nvfp4_global_scale(*global_amax) : 0.0f;
  // One lane group per thread and no loop (the grid covers every lane): every thread of a warp
  // reaches the shuffles together, so they compile to plain SHFL (a loop with a per-thread trip
  // count makes the compiler wrap each one in a convergence barrier). Threads past the end
  // transform zeros and store nothing.
  {
    const int64_t t = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
    const bool active = t < lanes;
    const int lane = static_cast<int>(t % kLanes);
    double v[kElemsPerLane] = {};
    if (active) load_lane(x + t * kElemsPerLane, vectorized, v);
    float out[kElemsPerLane];
    hadamard_round<T, kN>(v, out, lane);
    if constexpr (kFused) {
      // The block max as an unsigned max of the magnitude bits (the float max without a NaN).
      uint32_t mb = 0;
#pragma unroll
      for (int r = 0; r < kElemsPerLane; ++r) mb = max(mb, float_bits(out[r]) & 0x7fffffffu);
      float m = bits_float(mb);
      if (mb > 0x7f800000u) {
        m = 0.0f;
#pragma unroll
        for (int r = 0; r < kElemsPerLane; ++r) m = fmax_nan_skip(m, abs_f(out[r]));
      }
      const DivFullDivisor s = div_full_divisor(nvfp4_dynamic_block_scale(m, gs));
      if (s.plain) {
#pragma unroll
        for (int r = 0; r < kElemsPerLane; ++r)
          v[r] = round_to<T>(e2m1_qdq_plain(out[r], s.rcp, s.y));
      } else {
#pragma unroll
        for (int r = 0; r < kElemsPerLane; ++r) v[r] = round_to<T>(e2m1_qdq_div(out[r], s));
      }
      hadamard_round<T, kN>(v, out, lane);
    }
    if (active) store_lane(y + t * kElemsPerLane, vectorized, out);
  }
}

template <class T, int kN>
__global__ void hadamard_register_kernel(const T* x, T* y, int64_t numel) {
  static_assert(kN >= 2 && kN <= 8, "register path covers n = 2..8");
  const int64_t stride = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; b < numel / kN;
       b += stride) {
    double v[kN];
#pragma unroll
    for (int i = 0; i < kN; ++i) v[i] = detail::load1(x + b * kN + i);
#pragma unroll
    for (int h = kN / 2; h >= 1; h /= 2) {
#pragma unroll
      for (int i = 0; i < kN; ++i) {
        if ((i & h) == 0) hadamard_butterfly(v[i], v[i + h]);
      }
    }
    const float scale = hadamard_scale(log2_of(kN));
#pragma unroll
    for (int i = 0; i < kN; ++i) detail::store1(y + b * kN + i, hadamard_finish(v[i], scale));
  }
}

template <class T>
__global__ void hadamard_smem_kernel(const T* x, T* y, int log2n, bool split) {
  extern __shared__ double buf[];
  const int n = 1 << log2n;
  const int m = split ? n / 2 : n;
  const int64_t block = split ? blockIdx.x / 2 : blockIdx.x;
  const int half = split ? static_cast<int>(blockIdx.x % 2) : 0;
  const T* src = x + block * n;
  for (int i = threadIdx.x; i < m; i += blockDim.x) {
    if (split) {
      double lower = detail::load1(src + i);
      double upper = detail::load1(src + i + m);
      hadamard_butterfly(lower, upper);  // the top stage; this CTA keeps one of its outputs
      buf[i] = half == 0 ? lower : upper;
    } else {
      buf[i] = detail::load1(src + i);
    }
  }
  __syncthreads();
  for (int h = m / 2; h >= 1; h /= 2) {
    for (int p = threadIdx.x; p < m / 2; p += blockDim.x) {
      const int i = (p / h) * 2 * h + (p % h);
      hadamard_butterfly(buf[i], buf[i + h]);
    }
    __syncthreads();
  }
  const float scale = hadamard_scale(log2n);
  T* dst = y + block * n + half * m;
  for (int i = threadIdx.x; i < m; i += blockDim.x)
    detail::store1(dst + i, hadamard_finish(buf[i], scale));
}

int log2_exact(int64_t n) {
  if (n < 1 || (n & (n - 1)) != 0) return -1;
  int k = 0;
  while ((int64_t{1} << k) < n) ++k;
  return k;
}

template <class T, int kN, bool kFused>
void launch_shuffle(const void* x, void* y, int64_t numel, const float* global_amax,
                    cudaStream_t stream) {
  constexpr int kThreads = 256;
  const bool vectorized = detail::aligned16(x) && detail::aligned16(y);
  const int64_t blocks = (numel / kElemsPerLane + kThreads - 1) / kThreads;  // no grid stride
  hadamard_shuffle_kernel<T, kN, kFused><<<static_cast<unsigned>(blocks), kThreads, 0, stream>>>(
      static_cast<const T*>(x), static_cast<T*>(y), numel, global_amax, vectorized);
}

template <class T, int kN>
void launch_register(const void* x, void* y, int64_t numel, cudaStream_t stream) {
  constexpr int kThreads = 256;
  hadamard_register_kernel<T, kN><<<detail::grid_for(numel / kN, kThreads), kThreads, 0, stream>>>(
      static_cast<const T*>(x), static_cast<T*>(y), numel);
}

template <class T>
cudaError_t launch_smem(const void* x, void* y, int64_t numel, int log2n, cudaStream_t stream) {
  const bool split = log2n > kMaxSmemLog2;
  const int m = split ? (1 << (log2n - 1)) : (1 << log2n);
  const size_t smem = static_cast<size_t>(m) * sizeof(double);
  if (smem > 48 * 1024) {
    const cudaError_t err =
        cudaFuncSetAttribute(hadamard_smem_kernel<T>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                             static_cast<int>(smem));
    if (err != cudaSuccess) return err;
  }
  const int64_t blocks = (numel >> log2n) * (split ? 2 : 1);
  if (blocks > 0x7fffffff) return cudaErrorInvalidValue;
  hadamard_smem_kernel<T><<<static_cast<unsigned>(blocks), 512, smem, stream>>>(
      static_cast<const T*>(x), static_cast<T*>(y), log2n, split);
  return cudaSuccess;
}

template <bool kFused, class T>
bool launch_shuffle_for(int64_t n, const void* x, void* y, int64_t numel, const float* g,
                        cudaStream_t stream) {
  switch (n) {
    case 16:
      launch_shuffle<T, 16, kFused>(x, y, numel, g, stream);
      return true;
    case 32:
      launch_shuffle<T, 32, kFused>(x, y, numel, g, stream);
      return true;
    case 64:
      launch_shuffle<T, 64, kFused>(x, y, numel, g, stream);
      return true;
    case 128:
      launch_shuffle<T, 128, kFused>(x, y, numel, g, stream);
      return true;
    default:
      return false;
  }
}

}  // namespace

cudaError_t hadamard(const void* x, void* y, int64_t rows, int64_t cols, DType dtype, int64_t block,
                     cudaStream_t stream) {
  const int log2n = log2_exact(block);
  if (x == nullptr || y == nullptr || rows <= 0 || cols <= 0 || log2n < 0 ||
      log2n > kMaxHadamardLog2 || cols % block != 0) {
    return cudaErrorInvalidValue;
  }
  if (log2n > kMaxSmemLog2 && x == y)
    return cudaErrorInvalidValue;  // split CTAs would race in place
  const int64_t numel = rows * cols;
  cudaError_t smem_err = cudaSuccess;
  const cudaError_t err = detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    switch (block) {
      case 1:
        if (x != y) cudaMemcpyAsync(y, x, numel * sizeof(T), cudaMemcpyDeviceToDevice, stream);
        return;
      case 2:
        launch_register<T, 2>(x, y, numel, stream);
        return;
      case 4:
        launch_register<T, 4>(x, y, numel, stream);
        return;
      case 8:
        launch_register<T, 8>(x, y, numel, stream);
        return;
      default:
        break;
    }
    if (!launch_shuffle_for<false, T>(block, x, y, numel, nullptr, stream)) {
      smem_err = launch_smem<T>(x, y, numel, log2n, stream);
    }
  });
  return smem_err != cudaSuccess ? smem_err : err;
}

cudaError_t rotate_nvfp4_rotate_back(const void* x, void* y, int64_t rows, int64_t cols,
                                     DType dtype, int64_t block, const float* global_amax,
                                     cudaStream_t stream) {
  if (x == nullptr || y == nullptr || global_amax == nullptr || rows <= 0 || cols <= 0 ||
      (block != 16 && block != 32 && block != 64 && block != 128) || cols % block != 0) {
    return cudaErrorInvalidValue;
  }
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    launch_shuffle_for<true, T>(block, x, y, rows * cols, global_amax, stream);
  });
}

}  // namespace qcfg::cuda
