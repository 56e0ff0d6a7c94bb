// Real-quant packing on the GPU (spec §10). NVFP4 (§10.3): one thread per 16-element block reads
// the block once, writes its 8 code bytes with one 8-byte store and its E4M3 scale byte. FP8 and
// INT8 (§10.1, §10.2): one code byte per element, divided by its export scale, a 16-byte input
// vector per thread. INT4 (§10.4): one byte per (row pair, column), the even row in the low
// nibble (below 2^32 elements with 32-bit indices and FastDiv32). The arithmetic is the CPU
// reference's (scalar_ops.h), so the bytes are identical.
#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;

// Index: uint32_t below 2^32 blocks (plus the grid's stride), else int64_t.
template <class T, class Index>
__global__ void pack_nvfp4_kernel(const T* __restrict__ x, uint8_t* __restrict__ codes,
                                  uint8_t* __restrict__ scales, Index blocks,
                                  const float* __restrict__ global_amax, bool vectorized) {
  const float global_scale = nvfp4_weight_scale_2(*global_amax);
  const float denom = 6.0f * global_scale;
  const Index nthreads = static_cast<Index>(gridDim.x) * blockDim.x;
  for (Index b = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks;
       b += nthreads) {
    const T* p = x + static_cast<int64_t>(b) * 16;
    float v[16];
    float bm;
    if (vectorized) {
      // Unsigned max of the magnitude bits: the NaN-skipping float max unless there is a NaN.
      const uint32_t max_bits = detail::load_full_block<T, 16>(p, v);
      bm = bits_float(max_bits);
      if (max_bits > 0x7f800000u) {
        bm = 0.0f;
#pragma unroll
        for (int i = 0; i < 16; ++i) bm = fmax_nan_skip(bm, abs_f(v[i]));
      }
    } else {
      bm = 0.0f;
#pragma unroll
      for (int i = 0; i < 16; ++i) {
        v[i] = detail::load1(p + i);
        bm = fmax_nan_skip(bm, abs_f(v[i]));
      }
    }
    const uint8_t scale = nvfp4_pack_scale_code(nvfp4_pack_dynamic_ratio(bm, denom));
    const float block_denom = e4m3_value(scale) * global_scale;
    uint32_t lo = 0, hi = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      lo |= static_cast<uint32_t>(nvfp4_pack_nibble(v[i], block_denom)) << (4 * i);
      hi |= static_cast<uint32_t>(nvfp4_pack_nibble(v[8 + i], block_denom)) << (4 * i);
    }
    reinterpret_cast<uint2*>(codes)[b] = make_uint2(lo, hi);
    scales[b] = scale;
  }
}

struct Fp8Code {
  __device__ uint8_t operator()(float x, float scale) const {
    return e4m3_code_torch_cast(x / scale);
  }
};

struct Int8Code {
  __device__ uint8_t operator()(float x, float scale) const {
    return static_cast<uint8_t>(int_export_code(x, scale, int_range(8, false, false)));
  }
};

// kN code bytes of one vector as one store (8 bytes for 16-bit inputs, 4 for fp32).
template <int kN>
__device__ __forceinline__ void store_codes(uint8_t* p, const uint8_t (&c)[kN]) {
  if constexpr (kN == 8) {
    uint2 raw;
    memcpy(&raw, c, sizeof raw);
    *reinterpret_cast<uint2*>(p) = raw;
  } else {
    static_assert(kN == 4, "16-byte vectors hold 4 or 8 elements");
    uint32_t raw;
    memcpy(&raw, c, sizeof raw);
    *reinterpret_cast<uint32_t*>(p) = raw;
  }
}

// One 16-byte input vector per thread and iteration (scale once per vector when the vector shares
// one amax entry), its codes in one store; a scalar tail.
template <class T, class Code>
__global__ void pack_scaled_kernel(const T* __restrict__ x, uint8_t* __restrict__ codes,
                                   int64_t numel, detail::AmaxSource scales, Code code,
                                   bool vectorized, bool vector_uniform) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  const int64_t tid = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  const int64_t nvec = vectorized ? numel / kN : 0;
  for (int64_t v = tid; v < nvec; v += nthreads) {
    float buf[kN];
    detail::load_vec(x + v * kN, buf);
    uint8_t c[kN];
    if (vector_uniform) {
      const float scale = scales.at(v * kN);
#pragma unroll
      for (int i = 0; i < kN; ++i) c[i] = code(buf[i], scale);
    } else {
#pragma unroll
      for (int i = 0; i < kN; ++i) c[i] = code(buf[i], scales.at(v * kN + i));
    }
    store_codes<kN>(codes + v * kN, c);
  }
  for (int64_t i = nvec * kN + tid; i < numel; i += nthreads)
    codes[i] = code(detail::load1(x + i), scales.at(i));
}

// One byte per (row pair, column): the even row in the low nibble. Tensors of 2^32 elements or
// more (3-D expert weights can be): 64-bit indices and divisions.
template <class T>
__global__ void pack_int4_wide_kernel(const T* __restrict__ x, uint8_t* __restrict__ codes,
                                      int64_t rows, int64_t cols, const float* __restrict__ scales,
                                      int64_t block) {
  const IntRange range = int_range(4, false, false);
  const int64_t col_blocks = (cols + block - 1) / block, n = rows / 2 * cols;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < n;
       i += nthreads) {
    const int64_t pair = i / cols, c = i % cols;
    uint8_t byte = 0;
    for (int64_t half = 0; half < 2; ++half) {
      const int64_t row = 2 * pair + half;
      const int8_t q = int_export_code(detail::load1(x + row * cols + c),
                                       scales[row * col_blocks + c / block], range);
      byte |= static_cast<uint8_t>((q & 0xf) << (4 * half));
    }
    codes[i] = byte;
  }
}

// The same below 2^32 elements: row pair, column and the scale's column block via FastDiv32.
template <class T>
__global__ void pack_int4_kernel(const T* __restrict__ x, uint8_t* __restrict__ codes, uint32_t n,
                                 FastDiv32 cols, const float* __restrict__ scales, FastDiv32 block,
                                 uint32_t col_blocks) {
  const IntRange range = int_range(4, false, false);
  const uint32_t nthreads = gridDim.x * blockDim.x;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += nthreads) {
    const uint32_t pair = cols.div(i), c = i - pair * cols.divisor, cb = block.div(c);
    uint8_t byte = 0;
#pragma unroll
    for (uint32_t half = 0; half < 2; ++half) {
      const uint32_t row = 2 * pair + half;
      const int8_t q =
          int_export_code(detail::load1(x + static_cast<int64_t>(row) * cols.divisor + c),
                          scales[static_cast<int64_t>(row) * col_blocks + cb], range);
      byte |= static_cast<uint8_t>((q & 0xf) << (4 * half));
    }
    codes[i] = byte;
  }
}

template <class Code>
cudaError_t launch_pack_scaled(const void* x, uint8_t* codes, int64_t numel, DType dtype,
                               const float* scales, AmaxIndexing indexing, Code code,
                               cudaStream_t stream) {
  if (x == nullptr || codes == nullptr || scales == nullptr || numel <= 0)
    return cudaErrorInvalidValue;
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int kThreads = 256;
    constexpr int kN = detail::VecTraits<T>::kElems;
    const bool vectorized = detail::aligned16(x) && (reinterpret_cast<uintptr_t>(codes) % kN) == 0;
    pack_scaled_kernel<T>
        <<<detail::grid_for((numel + kN - 1) / kN, kThreads), kThreads, 0, stream>>>(
            static_cast<const T*>(x), codes, numel,
            detail::AmaxSource::make(scales, indexing, numel), code, vectorized,
            detail::uniform_over(indexing, kN));
  });
}

}  // namespace

cudaError_t pack_fp8(const void* x, uint8_t* codes, int64_t numel, DType dtype, const float* scales,
                     AmaxIndexing indexing, cudaStream_t stream) {
  return launch_pack_scaled(x, codes, numel, dtype, scales, indexing, Fp8Code{}, stream);
}

cudaError_t pack_int8(const void* x, uint8_t* codes, int64_t numel, DType dtype,
                      const float* scales, AmaxIndexing indexing, cudaStream_t stream) {
  return launch_pack_scaled(x, codes, numel, dtype, scales, indexing, Int8Code{}, stream);
}

cudaError_t pack_int4(const void* x, uint8_t* codes, int64_t rows, int64_t cols, DType dtype,
                      const float* scales, int64_t block, cudaStream_t stream) {
  if (x == nullptr || codes == nullptr || scales == nullptr || rows <= 0 || rows % 2 != 0 ||
      cols <= 0 || block <= 0)
    return cudaErrorInvalidValue;
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int kThreads = 256;
    const int64_t n = rows / 2 * cols;
    if (rows * cols > 0xffffffffll) {
      pack_int4_wide_kernel<T><<<detail::grid_for(n, kThreads), kThreads, 0, stream>>>(
          static_cast<const T*>(x), codes, rows, cols, scales, block);
      return;
    }
    pack_int4_kernel<T><<<detail::grid_for(n, kThreads), kThreads, 0, stream>>>(
        static_cast<const T*>(x), codes, static_cast<uint32_t>(n),
        FastDiv32::make(static_cast<uint32_t>(cols)), scales,
        FastDiv32::make(static_cast<uint32_t>(block)),
        static_cast<uint32_t>((cols + block - 1) / block));
  });
}

cudaError_t pack_nvfp4(const void* x, uint8_t* codes, uint8_t* scales, int64_t rows, int64_t cols,
                       DType dtype, const float* global_amax, cudaStream_t stream) {
  if (x == nullptr || codes == nullptr || scales == nullptr || global_amax == nullptr ||
      rows <= 0 || cols <= 0 || cols % 16 != 0 || (reinterpret_cast<uintptr_t>(codes) & 7u) != 0) {
    return cudaErrorInvalidValue;
  }
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    const bool vectorized = detail::aligned16(x);
    const int64_t blocks = rows * cols / 16;
    constexpr int kThreads = 128;
    const unsigned grid = detail::grid_for(blocks, kThreads);
    const auto* in = static_cast<const T*>(x);
    if (blocks + int64_t{grid} * kThreads < (int64_t{1} << 32)) {
      pack_nvfp4_kernel<T><<<grid, kThreads, 0, stream>>>(
          in, codes, scales, static_cast<uint32_t>(blocks), global_amax, vectorized);
    } else {
      pack_nvfp4_kernel<T>
          <<<grid, kThreads, 0, stream>>>(in, codes, scales, blocks, global_amax, vectorized);
    }
  });
}

}  // namespace qcfg::cuda
