// Dynamic block fake quant along the last dim: NVFP4 (16-wide, canonical Triton arithmetic) and
// MX (E8M0, 8/16/32-wide). One thread owns one block: it reads the block once into registers
// (16-byte loads when the row is vector-aligned), reduces the max, quantizes and writes.
#include "kernels/cuda/device_common.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;

template <int kBlock>
struct BlockTraits {
  static_assert(kBlock == 8 || kBlock == 16 || kBlock == 32, "blocks are 8, 16 or 32 wide");
  static constexpr int kSize = kBlock;
};

// Loads block [begin, begin+len) of one row; missing elements read as 0 (the spec's padding).
template <class T, int kBlock>
__device__ void load_block(const T* row, int64_t begin, int len, bool vectorized,
                           float (&v)[kBlock]) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  if (vectorized && len == kBlock && kBlock % kN == 0) {
#pragma unroll
    for (int c = 0; c < kBlock / kN; ++c) {
      float part[kN];
      detail::load_vec(row + begin + c * kN, part);
#pragma unroll
      for (int i = 0; i < kN; ++i) v[c * kN + i] = part[i];
    }
    return;
  }
#pragma unroll
  for (int i = 0; i < kBlock; ++i) v[i] = i < len ? detail::load1(row + begin + i) : 0.0f;
}

template <class T, int kBlock>
__device__ void store_block(T* row, int64_t begin, int len, bool vectorized,
                            const float (&v)[kBlock]) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  if (vectorized && len == kBlock && kBlock % kN == 0) {
#pragma unroll
    for (int c = 0; c < kBlock / kN; ++c) {
      float part[kN];
#pragma unroll
      for (int i = 0; i < kN; ++i) part[i] = v[c * kN + i];
      detail::store_vec(row + begin + c * kN, part);
    }
    return;
  }
  for (int i = 0; i < len; ++i) detail::store1(row + begin + i, v[i]);
}

template <int kBlock>
__device__ float block_abs_max(const float (&v)[kBlock]) {
  float m = 0.0f;
#pragma unroll
  for (int i = 0; i < kBlock; ++i) m = fmax_nan_skip(m, abs_f(v[i]));
  return m;
}

struct Nvfp4BlockOp {
  const float* global_amax;
  template <int kBlock>
  __device__ void operator()(float (&v)[kBlock]) const {
    const float s = nvfp4_dynamic_block_scale(block_abs_max(v), nvfp4_global_scale(*global_amax));
#pragma unroll
    for (int i = 0; i < kBlock; ++i) v[i] = e2m1_qdq_div(v[i], s);
  }
};

struct MxBlockOp {
  MxElement element;
  template <int kBlock>
  __device__ void operator()(float (&v)[kBlock]) const {
    const int k = mx_fake_exponent(block_abs_max(v), element);
#pragma unroll
    for (int i = 0; i < kBlock; ++i) v[i] = mx_qdq(v[i], k, element);
  }
};

template <class T, int kBlock, class Op>
__global__ void block_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t cols,
                             Op op, bool vectorized) {
  static_assert(BlockTraits<kBlock>::kSize == kBlock);
  const int64_t col_blocks = (cols + kBlock - 1) / kBlock;
  const int64_t total = rows * col_blocks;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; b < total;
       b += nthreads) {
    const int64_t r = b / col_blocks;
    const int64_t begin = (b % col_blocks) * kBlock;
    const int len = static_cast<int>(cols - begin < kBlock ? cols - begin : kBlock);
    float v[kBlock];
    load_block<T, kBlock>(x + r * cols, begin, len, vectorized, v);
    op(v);
    store_block<T, kBlock>(y + r * cols, begin, len, vectorized, v);
  }
}

template <int kBlock, class Op>
cudaError_t launch_block(const void* x, void* y, int64_t rows, int64_t cols, DType dtype, Op op,
                         cudaStream_t stream) {
  if (x == nullptr || y == nullptr || rows <= 0 || cols <= 0) return cudaErrorInvalidValue;
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    // Rows must start on 16-byte boundaries for the vector path.
    const bool vectorized = detail::aligned16(x) && detail::aligned16(y) &&
                            (cols * static_cast<int64_t>(sizeof(T))) % 16 == 0;
    constexpr int kThreads = 128;
    const unsigned grid = detail::grid_for(rows * ((cols + kBlock - 1) / kBlock), kThreads);
    block_kernel<T, kBlock><<<grid, kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), rows, cols, op, vectorized);
  });
}

}  // namespace

cudaError_t nvfp4_fake_quant(const void* x, void* y, int64_t rows, int64_t cols, DType dtype,
                             const float* global_amax, cudaStream_t stream) {
  if (global_amax == nullptr) return cudaErrorInvalidValue;
  return launch_block<16>(x, y, rows, cols, dtype, Nvfp4BlockOp{global_amax}, stream);
}

cudaError_t mx_fake_quant(const void* x, void* y, int64_t rows, int64_t cols, DType dtype,
                          MxElement element, int block, cudaStream_t stream) {
  const MxBlockOp op{element};
  switch (block) {
    case 8:
      return launch_block<8>(x, y, rows, cols, dtype, op, stream);
    case 16:
      return launch_block<16>(x, y, rows, cols, dtype, op, stream);
    case 32:
      return launch_block<32>(x, y, rows, cols, dtype, op, stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace qcfg::cuda
