// Per-element fake quant with per-tensor / per-axis / per-block amax: INT (incl. INT4 blocks)
// and FP8 E4M3. One pass; each thread takes a chunk of two adjacent 16-byte vectors (16 bf16 /
// fp16, 8 fp32 elements), 32-bit chunk indices below 2^32. The scales are recomputed from the
// amax (the same fp32 ops as the CPU reference, which precomputes them: identical values): once
// per thread for a per-tensor amax, once per chunk when the chunk shares one entry (a channel or
// a block of >= 16 elements), once per vector, else per element; the entry's index via FastDiv32
// below 2^32 elements. Per element: INT divides by the scale through its prepared reciprocal and
// one FMA correction (int_dequant, proven equal to the IEEE division), FP8 converts pairs with
// one hardware instruction each way (fp8_qdq2), stores convert pairs (detail::store_vec).
// v4 (kernel_variant() >= 4, the default) runs aligned per-channel tensors whose vectors each have
// one amax entry in tile_kernel instead (below: coalesced tiles, parameters cached per entry).
#include "kernels/cuda/device_common.cuh"
#include "kernels/cuda/elementwise_ops.cuh"

namespace qcfg::cuda {
namespace {

using namespace numerics;
using detail::Fp8Op;
using detail::IntOp;

// How far one amax entry reaches: the whole tensor, a chunk (two vectors), a vector, an element.
enum class Reach : uint8_t { tensor, chunk, vector, element };

// Index: uint32_t when the chunk count plus the grid's stride stays below 2^32, else int64_t.
template <class T, class Op, class Index>
__global__ void elementwise_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t numel,
                                   Index chunks, detail::AmaxSource src, Op op, Reach reach) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  const Index stride = static_cast<Index>(gridDim.x) * blockDim.x;
  const Index tid = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const auto tensor_params = op.params(src.amax[0]);  // per-tensor divisions once per thread
  for (Index c = tid; c < chunks; c += stride) {
    const int64_t first = static_cast<int64_t>(c) * (2 * kN);
    if (reach == Reach::element) {  // an entry per element (a channel along the last dim)
#pragma unroll 1
      for (int i = 0; i < 2 * kN; ++i) {
        detail::store1(y + first + i,
                       op.apply(detail::load1(x + first + i), op.params(src.at(first + i))));
      }
      continue;
    }
    float v0[kN], v1[kN];
    detail::load_vec_exact(x + first, v0);  // INT's tiny-amax rule keeps a NaN's sign
    detail::load_vec_exact(x + first + kN, v1);
    if (reach == Reach::vector) {
      op.apply_vec(v0, op.params(src.at(first)));
      op.apply_vec(v1, op.params(src.at(first + kN)));
    } else {
      const auto p = reach == Reach::tensor ? tensor_params : op.params(src.at(first));
      op.apply_vec(v0, p);
      op.apply_vec(v1, p);
    }
    detail::store_vec(y + first, v0);
    detail::store_vec(y + first + kN, v1);
  }
  // The elements after the last whole chunk (all of them when the buffers are unaligned).
  const int64_t nthreads = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(chunks) * (2 * kN) + tid; i < numel; i += nthreads) {
    detail::store1(y + i, op.apply(detail::load1(x + i), op.params(src.at(i))));
  }
}

// ---- v4: coalesced tiles, parameters cached per amax entry ------------------------------------
// v3 gives each thread one chunk of two adjacent vectors (the grid covers the tensor once), so
// every thread computes the per-tensor parameters (two IEEE divisions) whether it uses them or
// not, then its chunk's (two more) for 16 bf16 elements, and a warp's loads are 32 bytes apart
// (Nsight Compute: IntOp at 59% DRAM, 58% SM, 24 instructions per element). Here a CTA owns a
// tile of kTileThreads * kTileUnroll contiguous vectors, lane t taking vectors t, t + 256, ...
// (512 contiguous bytes per warp-wide load, four loads in flight per thread), and a thread
// computes a parameter set only when its vector's amax entry differs from its previous one: once
// per thread for a per-tensor amax or a per-row channel of a wide row, once per vector for
// blocks narrower than the tile's stride. The per-element functions are v3's (apply_vec).
constexpr int kTileThreads = 256;
constexpr int kTileUnroll = 4;
// ptxas -v (sm_90): 59-63 registers for Fp8Op on bf16 / fp16, 78 for IntOp (three CTAs per SM,
// 37.5% occupancy; capping it at 64 for four CTAs spills 416 bytes), 40-48 on fp32; no spills.

// vecs: whole vectors (every one of them governed by one amax entry: Reach tensor, chunk or
// vector); the elements after them go one by one. Tensors below 2^32 elements only (32-bit
// indices, the entry by FastDiv32; a first version with the 64-bit AmaxIndexing fallback unrolled
// four times kept ptxas busy for minutes); larger tensors keep v3's kernel.
template <class T, class Op>
__global__ void __launch_bounds__(kTileThreads)
    tile_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t numel, uint32_t vecs,
                const float* __restrict__ amax, detail::AmaxIndex32 index, Op op, bool per_tensor) {
  constexpr int kN = detail::VecTraits<T>::kElems;
  constexpr uint32_t kTile = kTileThreads * kTileUnroll;
  typename Op::Params p{};
  uint32_t entry = 0xffffffffu;  // the amax entry p belongs to (none yet)
  if (per_tensor) {
    p = op.params(amax[0]);
    entry = 0;
  }
  for (uint32_t base = blockIdx.x * kTile; base < vecs; base += gridDim.x * kTile) {
    float v[kTileUnroll][kN];
#pragma unroll
    for (int u = 0; u < kTileUnroll; ++u) {
      const uint32_t g = base + u * kTileThreads + threadIdx.x;
      if (g < vecs) detail::load_vec_exact(x + static_cast<size_t>(g) * kN, v[u]);
    }
#pragma unroll
    for (int u = 0; u < kTileUnroll; ++u) {
      const uint32_t g = base + u * kTileThreads + threadIdx.x;
      if (g < vecs) {
        if (!per_tensor) {
          const uint32_t e = index(g * kN);
          if (e != entry) {
            p = op.params(amax[e]);
            entry = e;
          }
        }
        op.apply_vec(v[u], p);
        detail::store_vec(y + static_cast<size_t>(g) * kN, v[u]);
      }
    }
  }
  const uint32_t nthreads = gridDim.x * blockDim.x;
  for (uint32_t i = vecs * kN + blockIdx.x * blockDim.x + threadIdx.x; i < numel; i += nthreads) {
    detail::store1(y + i, op.apply(detail::load1(x + i), op.params(amax[index(i)])));
  }
}

Reach reach_of(const AmaxIndexing& ix, int kN) {
  if (ix.kind == AmaxIndexing::Kind::tensor) return Reach::tensor;
  if (detail::uniform_over(ix, 2 * kN)) return Reach::chunk;
  if (detail::uniform_over(ix, kN)) return Reach::vector;
  return Reach::element;
}

template <class Op>
cudaError_t launch_elementwise(const void* x, void* y, int64_t numel, DType dtype,
                               const float* amax, AmaxIndexing indexing, Op op,
                               cudaStream_t stream) {
  if (x == nullptr || y == nullptr || amax == nullptr || numel <= 0) return cudaErrorInvalidValue;
  // v5: per-channel / per-block amax in segments of one entry (segment_quant.cu); per tensor
  // keeps v3's layout (FP8 per tensor measured 0.96x copy there).
  if (kernel_variant() >= 5 && indexing.kind != AmaxIndexing::Kind::tensor) {
    cudaError_t status = cudaSuccess;
    if (detail::launch_segments(x, y, numel, dtype, amax, indexing, op, stream, &status)) {
      return status;
    }
  }
  const bool vectorized = detail::aligned16(x) && detail::aligned16(y);
  return detail::dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    constexpr int kThreads = 256;
    constexpr int kN = detail::VecTraits<T>::kElems;
    const int64_t chunks = vectorized ? numel / (2 * kN) : 0;
    const int64_t tail = numel - chunks * 2 * kN;
    const unsigned grid = detail::grid_for(chunks > tail ? chunks : tail, kThreads);
    const Reach reach = reach_of(indexing, kN);
    const auto src = detail::AmaxSource::make(amax, indexing, numel);
    const auto* in = static_cast<const T*>(x);
    auto* out = static_cast<T*>(y);
    // The tile layout only for per-channel amax: per tensor and per block (INT4 blocks of 128)
    // the v3 layout measured faster on the H200 (FP8 per tensor 0.96x vs 0.94x copy, INT4 0.67x
    // vs 0.64x; per channel: FP8 0.82x -> 0.89x, INT8 0.73x -> 0.83x; docs/benchmarks.md).
    if (kernel_variant() >= 4 && indexing.kind == AmaxIndexing::Kind::axis && vectorized &&
        reach != Reach::element && src.use_narrow) {
      const int64_t vecs = numel / kN;
      const int64_t rest = numel - vecs * kN;
      const int64_t work = (vecs + kTileUnroll - 1) / kTileUnroll;
      const unsigned tgrid = detail::grid_for(work > rest ? work : rest, kTileThreads);
      if (numel + int64_t{tgrid} * kTileThreads * kTileUnroll * kN < (int64_t{1} << 32)) {
        tile_kernel<T><<<tgrid, kTileThreads, 0, stream>>>(in, out, static_cast<uint32_t>(numel),
                                                           static_cast<uint32_t>(vecs), amax,
                                                           src.narrow, op, reach == Reach::tensor);
        return;
      }
    }
    if (chunks + int64_t{grid} * kThreads < (int64_t{1} << 32)) {
      elementwise_kernel<T><<<grid, kThreads, 0, stream>>>(
          in, out, numel, static_cast<uint32_t>(chunks), src, op, reach);
    } else {
      elementwise_kernel<T><<<grid, kThreads, 0, stream>>>(in, out, numel, chunks, src, op, reach);
    }
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
