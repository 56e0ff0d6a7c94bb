// Dynamic block fake quant along the last dim: NVFP4 (16-wide, canonical Triton arithmetic) and
// MX (E8M0, 8/16/32-wide). A thread owns whole blocks: it reads each block once into registers,
// reduces the max, quantizes and writes.
//  * Full blocks (cols a multiple of the block, 16-byte aligned buffers): block b starts at
//    element b * kBlock, so there is no index division; 32-bit block indices below 2^31 blocks;
//    each thread loads kPer blocks (64 bytes of bf16) before computing any, so several 16-byte
//    loads are in flight per thread. The block max is an unsigned max of the magnitude bits (for
//    bf16 two elements per instruction), equal to the NaN-skipping float max unless the block
//    holds a NaN, which is the only case that recomputes it. The per-element arithmetic is the
//    straight-line form of the reference's formula (scalar_ops.h: e2m1_qdq_plain,
//    mx_qdq_fast): no data-dependent branch, the element format a template argument.
//  * v4 (kernel_variant() >= 4) runs full MX blocks in lane_block_kernel instead: a 16-byte
//    vector per lane, kBlock / kN lanes per block, the block max by warp shuffles (NVFP4 keeps
//    the v3 layout, which measured faster: Nvfp4FullOp::kLaneLayout). v5 (the default) runs full
//    MX blocks of 32 in mx_segment_quant.cu (two lanes per block, several vectors of it each).
//  * Anything else (partial last block, unaligned rows): one block per iteration, row and column
//    from a division (32-bit when the block count fits), scalar loads where a row is unaligned.
#include "kernels/cuda/block_ops.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;
using detail::block_abs_max;
using detail::full_block_max;
using detail::group_max;
using detail::MxFullOp;
using detail::nan_skipping_max_bits;

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

struct Nvfp4BlockOp {
  const float* global_amax;
  template <int kBlock>
  __device__ void operator()(float (&v)[kBlock]) const {
    const float s = nvfp4_dynamic_block_scale(block_abs_max(v), nvfp4_global_scale(*global_amax));
    const DivFullDivisor d = div_full_divisor(s);  // one reciprocal per block
#pragma unroll
    for (int i = 0; i < kBlock; ++i) v[i] = e2m1_qdq_div(v[i], d);
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

// ---- full blocks ----------------------------------------------------------------------------

// NVFP4 dynamic on a full block; gs (the global scale) is computed once per thread.
struct Nvfp4FullOp {
  // v3's whole-block threads: on the H200 the lane layout ran NVFP4 at 0.81x copy against v3's
  // 0.90x (bf16 16384^2, both in one run, docs/benchmarks.md "v4 measured"): its two lanes per
  // block each derive the block scale, which costs more than the scattered loads it saves.
  static constexpr bool kLaneLayout = false;
  const float* global_amax;
  __device__ float setup() const { return nvfp4_global_scale(*global_amax); }
  template <int kBlock>
  __device__ void operator()(float (&v)[kBlock], uint32_t max_bits, float gs) const {
    apply(v, full_block_max(max_bits, v), gs);
  }
  // kN elements of a block whose max is block_max (v4: a lane's share of the block).
  template <int kN>
  __device__ void apply(float (&v)[kN], float block_max, float gs) const {
    const float s = nvfp4_dynamic_block_scale(block_max, gs);
    const DivFullDivisor d = div_full_divisor(s);
    if (d.plain) {  // always, but for global scales beyond 2^126 / 448
#pragma unroll
      for (int i = 0; i < kN; ++i) v[i] = e2m1_qdq_plain(v[i], d.rcp, s);
    } else {
#pragma unroll
      for (int i = 0; i < kN; ++i) v[i] = e2m1_qdq_div(v[i], d);
    }
  }
};

template <int kBlock>
constexpr int kBlocksPerThread = 32 / kBlock;  // 64 bytes of bf16 per thread and iteration

// Index: uint32_t when blocks + the grid's stride stay below 2^32, else int64_t.
template <class T, int kBlock, class Op, class Index>
__global__ void full_block_kernel(const T* __restrict__ x, T* __restrict__ y, Index blocks, Op op) {
  constexpr int kPer = kBlocksPerThread<kBlock>;
  const Index stride = static_cast<Index>(gridDim.x) * blockDim.x;
  const auto state = op.setup();
  for (Index b = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x; b < blocks;
       b += stride * kPer) {
    float v[kPer][kBlock];
    uint32_t max_bits[kPer];
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      if (b + k * stride < blocks)
        max_bits[k] = detail::load_full_block<T, kBlock>(
            x + static_cast<int64_t>(b + k * stride) * kBlock, v[k]);
    }
#pragma unroll
    for (int k = 0; k < kPer; ++k) {
      if (b + k * stride < blocks) {
        op(v[k], max_bits[k], state);
        detail::store_full_block<T, kBlock>(y + static_cast<int64_t>(b + k * stride) * kBlock,
                                            v[k]);
      }
    }
  }
}

// ---- v4: full blocks, several lanes per block ------------------------------------------------
// The v3 kernel above gives each thread whole blocks, so the lanes of a warp read 16-byte pieces
// 32 or 64 bytes apart (bf16 blocks of 16 / 32; fp32: 64 / 128) and every load instruction
// touches two to eight times the sectors it uses: Nsight Compute shows the MX kernels at 55% DRAM
// (fp32: 38%) with the L1/L2 pipes at 86%. Here a thread owns one 16-byte vector of a block
// (kLanes = kBlock / kN consecutive lanes share a block), so each warp-wide load is 512
// contiguous bytes; the block max is an unsigned max of the lanes' magnitude bits over
// log2(kLanes) xor shuffles, and every lane derives the block's scale from it (the same
// nvfp4_dynamic_block_scale / mx_fake_exponent call as v3, so the same bits). kLaneUnroll
// vectors per thread and iteration, a CTA's tile of kLaneThreads * kLaneUnroll vectors being
// contiguous, keep four independent 16-byte loads in flight per thread.
constexpr int kLaneThreads = 256;
constexpr int kLaneUnroll = 4;

// vecs: the tensor's 16-byte vectors (a multiple of kLanes); Index as full_block_kernel's. The
// loop bounds depend on blockIdx only, so every lane of a warp reaches every shuffle; lanes past
// the end take part with max 0 (a whole block is either in range or not).
template <class T, int kBlock, class Op, class Index>
__global__ void __launch_bounds__(kLaneThreads)
    lane_block_kernel(const T* __restrict__ x, T* __restrict__ y, Index vecs, Op op) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  constexpr int kLanes = kBlock / kN;
  static_assert(kLanes * kN == kBlock && 32 % kLanes == 0);
  constexpr Index kTile = static_cast<Index>(kLaneThreads) * kLaneUnroll;
  const auto state = op.setup();
  for (Index base = static_cast<Index>(blockIdx.x) * kTile; base < vecs;
       base += static_cast<Index>(gridDim.x) * kTile) {
    float v[kLaneUnroll][kN];
    uint32_t m[kLaneUnroll];
#pragma unroll
    for (int u = 0; u < kLaneUnroll; ++u) {
      const Index g = base + u * kLaneThreads + threadIdx.x;
      m[u] = 0;
      if (g < vecs) m[u] = detail::load_full_block<T, kN>(x + static_cast<int64_t>(g) * kN, v[u]);
    }
    bool nan = false;
#pragma unroll
    for (int u = 0; u < kLaneUnroll; ++u) {
      m[u] = group_max<kLanes>(m[u]);
      nan = nan || m[u] > 0x7f800000u;
    }
    if (__any_sync(0xffffffffu, nan)) {  // a block holds a NaN: the NaN-skipping max (rare)
#pragma unroll
      for (int u = 0; u < kLaneUnroll; ++u) {
        const Index g = base + u * kLaneThreads + threadIdx.x;
        m[u] = group_max<kLanes>(g < vecs ? nan_skipping_max_bits(v[u]) : 0u);
      }
    }
#pragma unroll
    for (int u = 0; u < kLaneUnroll; ++u) {
      const Index g = base + u * kLaneThreads + threadIdx.x;
      if (g < vecs) {
        op.apply(v[u], bits_float(m[u]), state);
        detail::store_full_block<T, kN>(y + static_cast<int64_t>(g) * kN, v[u]);
      }
    }
  }
}

// Row and first column of block b (col_blocks blocks per row), in 32 bits when they fit.
__device__ __forceinline__ void block_position(int64_t b, int64_t col_blocks, bool narrow,
                                               int64_t& row, int64_t& col_block) {
  if (narrow) {
    const uint32_t b32 = static_cast<uint32_t>(b), cb = static_cast<uint32_t>(col_blocks);
    row = b32 / cb;
    col_block = b32 - static_cast<uint32_t>(row) * cb;
  } else {
    row = b / col_blocks;
    col_block = b - row * col_blocks;
  }
}

template <class T, int kBlock, class Op>
__global__ void block_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t rows, int64_t cols,
                             Op op, bool vectorized) {
  static_assert(BlockTraits<kBlock>::kSize == kBlock);
  const int64_t col_blocks = (cols + kBlock - 1) / kBlock;
  const int64_t total = rows * col_blocks;
  const bool narrow = total <= 0xffffffffll;
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t b = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; b < total;
       b += nthreads) {
    int64_t r, col_block;
    block_position(b, col_blocks, narrow, r, col_block);
    const int64_t begin = col_block * kBlock;
    const int len = static_cast<int>(cols - begin < kBlock ? cols - begin : kBlock);
    float v[kBlock];
    load_block<T, kBlock>(x + r * cols, begin, len, vectorized, v);
    op(v);
    store_block<T, kBlock>(y + r * cols, begin, len, vectorized, v);
  }
}

// Op: the runtime-parameter op (general kernel); FullOp: the same op for the full-block kernel.
template <int kBlock, class Op, class FullOp>
cudaError_t launch_block(const void* x, void* y, int64_t rows, int64_t cols, DType dtype, Op op,
                         FullOp full_op, cudaStream_t stream) {
  if (x == nullptr || y == nullptr || rows <= 0 || cols <= 0) return cudaErrorInvalidValue;
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    // Rows must start on 16-byte boundaries for the vector path.
    const bool vectorized = detail::aligned16(x) && detail::aligned16(y) &&
                            (cols * static_cast<int64_t>(sizeof(T))) % 16 == 0;
    const int64_t blocks = rows * ((cols + kBlock - 1) / kBlock);
    constexpr int kN = detail::VecTraits<T>::kElems;
    if constexpr (FullOp::kLaneLayout && kBlock == 32) {  // v5: MX blocks of 32
      if (vectorized && cols % kBlock == 0 && kernel_variant() >= 5 &&
          detail::launch_mx_segments<T, FullOp::kE>(static_cast<const T*>(x), static_cast<T*>(y),
                                                    rows * cols / kN, stream)) {
        return;
      }
    }
    if constexpr (FullOp::kLaneLayout) {  // not instantiated for NVFP4 (ptxas time)
      if (vectorized && cols % kBlock == 0 && kBlock % kN == 0 && kernel_variant() >= 4) {
        const int64_t vecs = rows * cols / kN;
        const unsigned grid =
            detail::grid_for((vecs + kLaneUnroll - 1) / kLaneUnroll, kLaneThreads);
        const int64_t span = vecs + int64_t{grid} * kLaneThreads * kLaneUnroll;
        if (span < (int64_t{1} << 32)) {
          lane_block_kernel<T, kBlock><<<grid, kLaneThreads, 0, stream>>>(
              static_cast<const T*>(x), static_cast<T*>(y), static_cast<uint32_t>(vecs), full_op);
        } else {
          lane_block_kernel<T, kBlock><<<grid, kLaneThreads, 0, stream>>>(
              static_cast<const T*>(x), static_cast<T*>(y), vecs, full_op);
        }
        return;
      }
    }
    if (vectorized && cols % kBlock == 0 && kBlock % kN == 0) {
      constexpr int kThreads = 256;
      const int64_t threads = (blocks + kBlocksPerThread<kBlock> - 1) / kBlocksPerThread<kBlock>;
      const unsigned grid = detail::grid_for(threads, kThreads);
      const int64_t span = blocks + int64_t{grid} * kThreads * kBlocksPerThread<kBlock>;
      if (span < (int64_t{1} << 32)) {
        full_block_kernel<T, kBlock><<<grid, kThreads, 0, stream>>>(
            static_cast<const T*>(x), static_cast<T*>(y), static_cast<uint32_t>(blocks), full_op);
      } else {
        full_block_kernel<T, kBlock><<<grid, kThreads, 0, stream>>>(
            static_cast<const T*>(x), static_cast<T*>(y), blocks, full_op);
      }
      return;
    }
    constexpr int kThreads = 128;
    block_kernel<T, kBlock><<<detail::grid_for(blocks, kThreads), kThreads, 0, stream>>>(
        static_cast<const T*>(x), static_cast<T*>(y), rows, cols, op, vectorized);
  });
}

template <int kBlock>
cudaError_t launch_mx(const void* x, void* y, int64_t rows, int64_t cols, DType dtype,
                      MxElement element, cudaStream_t stream) {
  const MxBlockOp op{element};
  switch (element) {
#define QCFG_MX_CASE(e) \
  case MxElement::e:    \
    return launch_block<kBlock>(x, y, rows, cols, dtype, op, MxFullOp<MxElement::e>{}, stream);
    QCFG_MX_CASE(e2m1)
    QCFG_MX_CASE(e3m2)
    QCFG_MX_CASE(e2m3)
    QCFG_MX_CASE(e1m2)
    QCFG_MX_CASE(e0m3)
    QCFG_MX_CASE(e3m0)
    QCFG_MX_CASE(e4m3)
    QCFG_MX_CASE(e5m2)
    QCFG_MX_CASE(int8)
#undef QCFG_MX_CASE
  }
  return cudaErrorInvalidValue;
}

}  // namespace

cudaError_t nvfp4_fake_quant(const void* x, void* y, int64_t rows, int64_t cols, DType dtype,
                             const float* global_amax, cudaStream_t stream) {
  if (global_amax == nullptr) return cudaErrorInvalidValue;
  return launch_block<16>(x, y, rows, cols, dtype, Nvfp4BlockOp{global_amax},
                          Nvfp4FullOp{global_amax}, stream);
}

cudaError_t mx_fake_quant(const void* x, void* y, int64_t rows, int64_t cols, DType dtype,
                          MxElement element, int block, cudaStream_t stream) {
  switch (block) {
    case 8:
      return launch_mx<8>(x, y, rows, cols, dtype, element, stream);
    case 16:
      return launch_mx<16>(x, y, rows, cols, dtype, element, stream);
    case 32:
      return launch_mx<32>(x, y, rows, cols, dtype, element, stream);
    default:
      return cudaErrorInvalidValue;
  }
}

}  // namespace qcfg::cuda
