// Real-quant packing on the GPU (spec §10). NVFP4 (§10.3): one thread per 16-element block reads
// the block once, writes its 8 code bytes with one 8-byte store and its E4M3 scale byte. FP8 and
// INT8 (§10.1, §10.2): one code byte per element, divided by its export scale, a 16-byte input
// vector per thread. INT4 (§10.4): one byte per (row pair, column), the even row in the low
// nibble (below 2^32 elements with 32-bit indices and FastDiv32). The arithmetic is the CPU
// reference's (scalar_ops.h), so the bytes are identical. v4 (kernel_variant() >= 4, the default)
// packs FP8 / INT8 in coalesced tiles with the divisor cached per scale entry
// (pack_scaled_tile_kernel).
#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;

// q[i] = x[i] / d, IEEE-rounded. For bf16 and fp16 inputs (at most 11 significant bits) with d in
// narrow_div's fast range and every x zero or in [2^-60, 2^60] through the prepared reciprocal
// (narrow_div, scalar_ops.h: the same quotients), else by division; one test per vector or block.
template <class T, int kN>
__device__ __forceinline__ void quotients_prepared(const float (&x)[kN], const NarrowDivisor& bd,
                                                   float (&q)[kN]) {
  if constexpr (std::is_same_v<T, BFloat16> || std::is_same_v<T, Half>) {
    bool exact = bd.fast;
#pragma unroll
    for (int i = 0; i < kN; ++i) exact = exact && narrow_div_in_range(x[i]);
    if (exact) {
#pragma unroll
      for (int i = 0; i < kN; ++i) q[i] = narrow_div(x[i], bd);
      return;
    }
  }
#pragma unroll
  for (int i = 0; i < kN; ++i) q[i] = x[i] / bd.d;
}
// The same with the divisor prepared here (fp32 inputs use only bd.d: the reciprocal is dead).
template <class T, int kN>
__device__ __forceinline__ void quotients(const float (&x)[kN], float d, float (&q)[kN]) {
  quotients_prepared<T>(x, narrow_divisor(d), q);
}

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
    float q[16];
    quotients<T>(v, block_denom, q);
    uint32_t lo = 0, hi = 0;
#pragma unroll
    for (int i = 0; i < 8; ++i) {
      lo |= static_cast<uint32_t>(nvfp4_pack_nibble_of_quotient(q[i])) << (4 * i);
      hi |= static_cast<uint32_t>(nvfp4_pack_nibble_of_quotient(q[8 + i])) << (4 * i);
    }
    reinterpret_cast<uint2*>(codes)[b] = make_uint2(lo, hi);
    scales[b] = scale;
  }
}

struct Fp8Code {
  __device__ uint8_t of_quotient(float v) const { return e4m3_code_torch_cast(v); }
  __device__ uint8_t operator()(float x, float scale) const { return of_quotient(x / scale); }
};

struct Int8Code {
  __device__ uint8_t of_quotient(float v) const {
    return static_cast<uint8_t>(int_export_code_of_quotient(v, int_range(8, false, false)));
  }
  __device__ uint8_t operator()(float x, float scale) const { return of_quotient(x / scale); }
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
      float q[kN];
      quotients<T>(buf, scales.at(v * kN), q);
#pragma unroll
      for (int i = 0; i < kN; ++i) c[i] = code.of_quotient(q[i]);
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

// Eight columns of one row pair per thread: the eight elements of each row in 16-byte loads, one
// scale per row (cols and the block multiples of 8, so the eight share a column block), the
// eight code bytes in one 8-byte store. Below 2^32 chunks, with FastDiv32 for the row pair and
// the column block.
template <class T>
__global__ void pack_int4_vec_kernel(const T* __restrict__ x, uint8_t* __restrict__ codes,
                                     uint32_t chunks, FastDiv32 chunks_per_row,
                                     const float* __restrict__ scales, FastDiv32 chunks_per_block,
                                     uint32_t col_blocks) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  const IntRange range = int_range(4, false, false);
  const int64_t cols = static_cast<int64_t>(chunks_per_row.divisor) * 8;
  const uint32_t nthreads = gridDim.x * blockDim.x;
  for (uint32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < chunks; i += nthreads) {
    const uint32_t pair = chunks_per_row.div(i), chunk = i - pair * chunks_per_row.divisor;
    const uint32_t cb = chunks_per_block.div(chunk);
    const int64_t row0 = 2 * static_cast<int64_t>(pair);
    const T* p0 = x + row0 * cols + chunk * 8;
    float a[8], b[8];
#pragma unroll
    for (int c = 0; c < 8 / kN; ++c) {
      float part[kN];
      detail::load_vec(p0 + c * kN, part);
#pragma unroll
      for (int k = 0; k < kN; ++k) a[c * kN + k] = part[k];
      detail::load_vec(p0 + cols + c * kN, part);
#pragma unroll
      for (int k = 0; k < kN; ++k) b[c * kN + k] = part[k];
    }
    const float s0 = scales[row0 * col_blocks + cb], s1 = scales[(row0 + 1) * col_blocks + cb];
    float qa[8], qb[8];
    quotients<T>(a, s0, qa);
    quotients<T>(b, s1, qb);
    uint32_t lo = 0, hi = 0;
#pragma unroll
    for (int k = 0; k < 8; ++k) {
      const uint32_t byte = static_cast<uint32_t>(int_export_code_of_quotient(qa[k], range) & 0xf) |
                            static_cast<uint32_t>(int_export_code_of_quotient(qb[k], range) & 0xf)
                                << 4;
      if (k < 4) {
        lo |= byte << (8 * k);
      } else {
        hi |= byte << (8 * (k - 4));
      }
    }
    *reinterpret_cast<uint2*>(codes + static_cast<int64_t>(pair) * cols + chunk * 8) =
        make_uint2(lo, hi);
  }
}

// ---- v4 (kernel_variant() >= 4): FP8 / INT8 packing in tiles ----------------------------------
// v3 gives each thread one vector (the grid covers the tensor once), so every vector pays its
// export scale's amax index, the scale's load and narrow_divisor's IEEE reciprocal; Nsight Compute
// (bf16 8192²): 36 instructions per element, issue 0.73, DRAM 38%. As elementwise_quant.cu's
// tile_kernel: a CTA owns 1024 contiguous vectors (lane t: t, t + 256, t + 512, t + 768; four
// loads in flight), the divisor is prepared only when a vector's scale entry differs from the
// thread's previous one; quotients and codes are v3's functions. Vectors with one scale entry
// each, tensors below 2^32 elements.
constexpr int kPackTileThreads = 256;
constexpr int kPackTileUnroll = 4;

template <class T, class Code>
__global__ void __launch_bounds__(kPackTileThreads)
    pack_scaled_tile_kernel(const T* __restrict__ x, uint8_t* __restrict__ codes, uint32_t numel,
                            uint32_t vecs, const float* __restrict__ scales,
                            detail::AmaxIndex32 index, Code code) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  constexpr uint32_t kTile = kPackTileThreads * kPackTileUnroll;
  NarrowDivisor bd{1.0f, 1.0f, true};
  uint32_t entry = 0xffffffffu;  // the scale entry bd belongs to (none yet)
  for (uint32_t base = blockIdx.x * kTile; base < vecs; base += gridDim.x * kTile) {
    float v[kPackTileUnroll][kN];
#pragma unroll
    for (int u = 0; u < kPackTileUnroll; ++u) {
      const uint32_t g = base + u * kPackTileThreads + threadIdx.x;
      if (g < vecs) detail::load_vec(x + static_cast<size_t>(g) * kN, v[u]);
    }
#pragma unroll
    for (int u = 0; u < kPackTileUnroll; ++u) {
      const uint32_t g = base + u * kPackTileThreads + threadIdx.x;
      if (g < vecs) {
        const uint32_t e = index(g * kN);
        if (e != entry) {
          bd = narrow_divisor(scales[e]);
          entry = e;
        }
        float q[kN];
        quotients_prepared<T>(v[u], bd, q);
        uint8_t c[kN];
#pragma unroll
        for (int i = 0; i < kN; ++i) c[i] = code.of_quotient(q[i]);
        store_codes<kN>(codes + static_cast<size_t>(g) * kN, c);
      }
    }
  }
  const uint32_t nthreads = gridDim.x * blockDim.x;
  for (uint32_t i = vecs * kN + blockIdx.x * blockDim.x + threadIdx.x; i < numel; i += nthreads)
    codes[i] = code(detail::load1(x + i), scales[index(i)]);
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
    const auto src = detail::AmaxSource::make(scales, indexing, numel);
    if (kernel_variant() >= 4 && vectorized && detail::uniform_over(indexing, kN) &&
        src.use_narrow) {
      const int64_t vecs = numel / kN;
      const int64_t rest = numel - vecs * kN;
      const int64_t work = (vecs + kPackTileUnroll - 1) / kPackTileUnroll;
      const unsigned grid = detail::grid_for(work > rest ? work : rest, kPackTileThreads);
      if (numel + int64_t{grid} * kPackTileThreads * kPackTileUnroll * kN < (int64_t{1} << 32)) {
        pack_scaled_tile_kernel<T><<<grid, kPackTileThreads, 0, stream>>>(
            static_cast<const T*>(x), codes, static_cast<uint32_t>(numel),
            static_cast<uint32_t>(vecs), scales, src.narrow, code);
        return;
      }
    }
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
    const int64_t chunks = n / 8;
    if (cols % 8 == 0 && block % 8 == 0 && detail::aligned16(x) &&
        (reinterpret_cast<uintptr_t>(codes) & 7u) == 0 && chunks < 0x80000000ll) {
      pack_int4_vec_kernel<T><<<detail::grid_for(chunks, kThreads), kThreads, 0, stream>>>(
          static_cast<const T*>(x), codes, static_cast<uint32_t>(chunks),
          FastDiv32::make(static_cast<uint32_t>(cols / 8)), scales,
          FastDiv32::make(static_cast<uint32_t>(block / 8)),
          static_cast<uint32_t>((cols + block - 1) / block));
      return;
    }
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
