// v5 layout of MX fake quant on full blocks of 32 (issue 14). v4's lane_block_kernel gives each
// lane one 16-byte vector of a block (four lanes per bf16 block), so a block's max takes two xor
// shuffles and every lane derives the shared exponent (an IEEE division and the E8M0 rule) for
// its 8 elements: per bf16 element 0.25 shuffles, which at copy speed (~4 elements per clock and
// SM) is the H200's whole shuffle rate (32 lanes per clock and SM), and ~3 instructions of
// exponent work (H200: 0.82x copy). Here two lanes share a block, each holding kUB = block /
// (2 kN) of its vectors (lane i: vectors i, i + 2, ...), and a thread holds kNB = 4 / kUB blocks:
// one shuffle per block, one exponent per lane and block (per 16 bf16 elements instead of 8). A
// warp's step covers 32 * 4 contiguous vectors; each warp-wide load reads 16 pieces of 32 bytes
// (whole sectors), and a thread's four loads are in flight together. The per-block and
// per-element functions are MxFullOp's (mx_fake_exponent, mx_qdq_fast), called on the same
// block maxima as in v3 / v4 (the unsigned max of the magnitude bits, NaN-skipping when a block
// holds a NaN): the same bits.
#include "kernels/cuda/block_ops.cuh"

namespace qcfg::cuda::detail {
namespace {

constexpr int kThreads = 256;
constexpr int kBlock = 32;
constexpr int kLanes = 2;   // lanes per block
constexpr int kUnroll = 4;  // vectors per thread and step
// ptxas -v (sm_90): uncapped 54-58 registers on bf16 / fp16 (four CTAs of 256 per SM), so the
// kernel asks for five (at most 48 registers, 62.5% occupancy; no spills), but for E3M0, whose
// generic rounding spills 8 bytes at 48 and keeps four; fp32 needs 32 (eight CTAs, 100%).

// blocks: the tensor's MX blocks (< 2^32 / 32). The loop bounds depend on the warp only, so every
// lane reaches every shuffle; lanes past the end take part with max 0.
template <class T, MxElement kE>
__global__ void __launch_bounds__(kThreads, sizeof(T) == 4 ? 8 : (kE == MxElement::e3m0 ? 4 : 5))
    mx_segment_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t blocks) {
  constexpr int kN = VecTraits<T>::kElems;
  constexpr int kVB = kBlock / kN;    // vectors per block: 4 (bf16 / fp16) or 8 (fp32)
  constexpr int kUB = kVB / kLanes;   // a lane's vectors of one block: 2 or 4
  constexpr int kNB = kUnroll / kUB;  // blocks per thread and step: 2 or 1
  constexpr int kGroups = 32 / kLanes;
  constexpr uint32_t kStepBlocks = kGroups * kNB;  // blocks per warp and step
  static_assert(kUB * kLanes == kVB && kNB * kUB == kUnroll);
  const MxFullOp<kE> op;
  const uint32_t lane = threadIdx.x & 31u;
  const uint32_t group = lane / kLanes;
  const uint32_t offset = (lane % kLanes) * kN;  // element offset of the lane's first vector
  const uint32_t warp = blockIdx.x * (kThreads / 32) + threadIdx.x / 32u;
  const uint32_t warps = gridDim.x * (kThreads / 32);
  for (uint32_t base = warp * kStepBlocks; base < blocks; base += warps * kStepBlocks) {
    float v[kNB][kUB][kN];
    uint32_t m[kNB];
#pragma unroll
    for (int j = 0; j < kNB; ++j) {
      const uint32_t b = base + j * kGroups + group;
      m[j] = 0;
      if (b < blocks) {
#pragma unroll
        for (int u = 0; u < kUB; ++u) {
          m[j] = max(m[j],
                     load_full_block<T, kN>(x + (b * kBlock + offset + u * kLanes * kN), v[j][u]));
        }
      }
    }
    bool nan = false;
#pragma unroll
    for (int j = 0; j < kNB; ++j) {
      m[j] = group_max<kLanes>(m[j]);
      nan = nan || m[j] > 0x7f800000u;
    }
    if (__any_sync(0xffffffffu, nan)) {  // a block holds a NaN: the NaN-skipping max (rare)
#pragma unroll
      for (int j = 0; j < kNB; ++j) {
        uint32_t mj = 0;
        if (base + j * kGroups + group < blocks) {
#pragma unroll
          for (int u = 0; u < kUB; ++u) mj = max(mj, nan_skipping_max_bits(v[j][u]));
        }
        m[j] = group_max<kLanes>(mj);
      }
    }
#pragma unroll
    for (int j = 0; j < kNB; ++j) {
      const uint32_t b = base + j * kGroups + group;
      if (b < blocks) {
        const auto s = op.block_scale(bits_float(m[j]));
#pragma unroll
        for (int u = 0; u < kUB; ++u) {
          op.apply_scale(v[j][u], s);
          store_full_block<T, kN>(y + (b * kBlock + offset + u * kLanes * kN), v[j][u]);
        }
      }
    }
  }
}

}  // namespace

template <class T, MxElement kElement>
bool launch_mx_segments(const T* x, T* y, int64_t vecs, cudaStream_t stream) {
  constexpr int kN = VecTraits<T>::kElems;
  constexpr int64_t kStepBlocks = (32 / kLanes) * (kUnroll * kLanes * kN / kBlock);
  const int64_t numel = vecs * kN;
  if (numel % kBlock != 0) return false;
  const int64_t blocks = numel / kBlock;
  const unsigned grid = grid_for((blocks + kStepBlocks - 1) / kStepBlocks * 32, kThreads);
  // 32-bit element offsets and block loop (base + the grid's step stays below 2^32 / 32).
  if (numel + int64_t{grid} * (kThreads / 32) * kStepBlocks * kBlock >= (int64_t{1} << 32)) {
    return false;
  }
  mx_segment_kernel<T, kElement>
      <<<grid, kThreads, 0, stream>>>(x, y, static_cast<uint32_t>(blocks));
  return true;
}

#define QCFG_MX_SEGMENTS(T, e) \
  template bool launch_mx_segments<T, MxElement::e>(const T*, T*, int64_t, cudaStream_t);
#define QCFG_MX_SEGMENTS_ALL(e) \
  QCFG_MX_SEGMENTS(float, e)    \
  QCFG_MX_SEGMENTS(Half, e)     \
  QCFG_MX_SEGMENTS(BFloat16, e)
QCFG_MX_SEGMENTS_ALL(e2m1)
QCFG_MX_SEGMENTS_ALL(e3m2)
QCFG_MX_SEGMENTS_ALL(e2m3)
QCFG_MX_SEGMENTS_ALL(e1m2)
QCFG_MX_SEGMENTS_ALL(e0m3)
QCFG_MX_SEGMENTS_ALL(e3m0)
QCFG_MX_SEGMENTS_ALL(e4m3)
QCFG_MX_SEGMENTS_ALL(e5m2)
QCFG_MX_SEGMENTS_ALL(int8)
#undef QCFG_MX_SEGMENTS_ALL
#undef QCFG_MX_SEGMENTS

}  // namespace qcfg::cuda::detail
