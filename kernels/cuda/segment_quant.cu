// v5 layout of INT / FP8 fake quant with per-channel or per-block amax (issue 14; the benchmark's
// INT4 blocks of 128, INT8 and FP8 per channel). v3 gives each thread two adjacent vectors and
// computes their amax entry's parameters (the index through FastDiv32 divisions, the amax load and
// two IEEE divisions) for those 16 bf16 elements; v4's tiles put a thread's four vectors 256
// vectors apart, which for 128-blocks is four blocks and four parameter sets per 32 elements
// (H200: INT4 128 at 0.67x and 0.64x copy), and need 78 registers for INT (37.5% occupancy).
// Here the tensor is cut into segments of kL * kSegUnroll vectors that each lie in one amax entry
// (kL, a power of two in [2, 32], is the largest that divides the entry's run: the block, or the
// channel's stride): kL consecutive lanes share a segment, lane i taking its vectors i, i + kL,
// i + 2 kL, i + 3 kL, so a thread's four vectors have one entry and one parameter set, every
// warp-wide load reads 32 / kL pieces of kL contiguous vectors (whole 32-byte sectors), and the
// four loads are in flight together, kept as raw 16 bytes until used (16 registers instead of 32
// widened floats). A warp walks a contiguous strip of segments, and a thread recomputes the
// parameters only when its entry changes (per channel: about once per row it meets). The
// per-element functions are the ops' apply_vec, as in every other layout: the same bits.
#include <algorithm>

#include "kernels/cuda/elementwise_ops.cuh"

namespace qcfg::cuda::detail {
namespace {

constexpr int kThreads = 256;

// IntOp for a signed range (lo < 0 < hi: every signed INT format): the clamp by min / max
// (int_qdq_signed, two instructions per element fewer); the same values.
// The kernel tests plain(p) once per segment and then runs apply_plain on all its vectors (no
// branch per vector); the other cases (tiny amax, a scale outside int_dequant's fast range) take
// IntOp::apply_vec.
struct IntSignedOp : IntOp {
  __device__ static bool plain(const Params& p) { return !p.tiny && p.divisor.fast; }
  template <int kN>
  __device__ void apply_plain(float (&v)[kN], const Params& p) const {
#pragma unroll
    for (int i = 0; i < kN; ++i) v[i] = int_qdq_signed(v[i], p.divisor, range);
  }
};

template <class Op>
concept HasPlainPath = requires(const Op& op, const typename Op::Params& p, float (&v)[8]) {
  Op::plain(p);
  op.apply_plain(v, p);
};
constexpr int kWarpsPerCta = kThreads / 32;
constexpr uint32_t kStepsPerWarp = 8;  // segment rows per warp strip (fewer for small tensors)
constexpr int64_t kMinCtas = 132 * 8;  // keep an H200's SMs busy before lengthening strips
// CTAs of 256 per SM asked of ptxas: six for FP8 (75% occupancy, at most 40 registers: it needs
// 40), five for INT (62.5%, at most 48: uncapped, its plain path took 57-61, i.e. four CTAs); no
// spills (ptxas -v, sm_90).

// Segment s (elements [s * seg_elems, (s + 1) * seg_elems)) has amax entry
// inner.mod(outer.div(s)): outer = segments per entry run, inner = the axis size (blocks: the
// entry count, so the mod is the identity).
template <class T, class Op>
__global__ void __launch_bounds__(kThreads, std::is_same_v<Op, Fp8Op> ? 6 : 5)
    segment_kernel(const T* __restrict__ x, T* __restrict__ y, uint32_t segments,
                   uint32_t lanes_log2, uint32_t steps, const float* __restrict__ amax,
                   FastDiv32 outer, FastDiv32 inner, Op op) {
  constexpr int kN = VecTraits<T>::kElems;
  constexpr int kU = kSegUnroll;
  const uint32_t lane = threadIdx.x & 31u;
  const uint32_t groups = 32u >> lanes_log2;          // segments per warp and step
  const uint32_t vec_step = (1u << lanes_log2) * kN;  // elements between a thread's vectors
  const uint32_t seg_elems = vec_step * kU;
  const uint32_t warp = blockIdx.x * kWarpsPerCta + threadIdx.x / 32u;
  const uint32_t strip = warp * steps * groups;
  const uint32_t end = min(segments, strip + steps * groups);
  const uint32_t offset = (lane & ((1u << lanes_log2) - 1u)) * kN;
  typename Op::Params p{};
  uint32_t entry = 0xffffffffu;  // the amax entry p belongs to (none yet)
  for (uint32_t s = strip + (lane >> lanes_log2); s < end; s += groups) {
    const uint32_t first = s * seg_elems + offset;  // numel < 2^32: 32-bit element offsets
    uint4 raw[kU];
#pragma unroll
    for (int u = 0; u < kU; ++u)
      raw[u] = *reinterpret_cast<const uint4*>(x + (first + u * vec_step));
    const uint32_t e = inner.mod(outer.div(s));
    if (e != entry) {
      p = op.params(amax[e]);
      entry = e;
    }
    const auto run = [&](auto apply) {
#pragma unroll
      for (int u = 0; u < kU; ++u) {
        float v[kN];
        unpack_vec_exact<T>(raw[u], v);  // INT's tiny-amax rule keeps a NaN's sign
        apply(v);
        store_vec(y + (first + u * vec_step), v);
      }
    };
    if constexpr (HasPlainPath<Op>) {
      if (Op::plain(p)) {
        run([&](float(&v)[kN]) { op.apply_plain(v, p); });
        continue;
      }
    }
    run([&](float(&v)[kN]) { op.apply_vec(v, p); });
  }
}

}  // namespace

template <class Op>
bool launch_segments(const void* x, void* y, int64_t numel, DType dtype, const float* amax,
                     const AmaxIndexing& ix, const Op& op, cudaStream_t stream,
                     cudaError_t* status) {
  // run: elements in a row of one entry; modulus: entries before the index repeats.
  int64_t run = 0, modulus = 0;
  if (ix.kind == AmaxIndexing::Kind::axis) {
    run = ix.stride;
    modulus = ix.size;
  } else if (ix.kind == AmaxIndexing::Kind::block && ix.block > 0 && ix.cols % ix.block == 0) {
    run = ix.block;  // cols a multiple of the block: element i lies in block i / block
    modulus = (numel + ix.block - 1) / ix.block;
  }
  if (run <= 0 || modulus <= 0 || !aligned16(x) || !aligned16(y) || numel >= (int64_t{1} << 32)) {
    return false;
  }
  bool launched = false;
  const cudaError_t st = dispatch_dtype(dtype, [&](auto tag) {
    using T = decltype(tag);
    const int64_t per_lane = int64_t{VecTraits<T>::kElems} * kSegUnroll;
    int64_t lanes = 32;
    while (lanes >= 2 && (run % (lanes * per_lane) != 0)) lanes /= 2;
    const int64_t seg_elems = lanes * per_lane;
    if (lanes < 2 || numel % seg_elems != 0) return;
    const int64_t segments = numel / seg_elems;
    uint32_t lanes_log2 = 0;
    while ((int64_t{1} << lanes_log2) < lanes) ++lanes_log2;
    const int64_t groups = 32 / lanes;
    const int64_t warp_steps = (segments + groups - 1) / groups;
    // Strips of kStepsPerWarp steps, shorter when that leaves fewer than kMinCtas CTAs.
    int64_t warps = (warp_steps + kStepsPerWarp - 1) / kStepsPerWarp;
    if (warps < kMinCtas * kWarpsPerCta) warps = std::min(warp_steps, kMinCtas * kWarpsPerCta);
    const int64_t steps = (warp_steps + warps - 1) / warps;
    warps = (warp_steps + steps - 1) / steps;
    const int64_t ctas = (warps + kWarpsPerCta - 1) / kWarpsPerCta;
    if (ctas > 0x7fffffff || (ctas * kWarpsPerCta + 1) * steps * groups >= (int64_t{1} << 32)) {
      return;  // 32-bit strip arithmetic
    }
    const auto launch = [&](const auto& kernel_op) {
      segment_kernel<T><<<static_cast<unsigned>(ctas), kThreads, 0, stream>>>(
          static_cast<const T*>(x), static_cast<T*>(y), static_cast<uint32_t>(segments), lanes_log2,
          static_cast<uint32_t>(steps), amax,
          FastDiv32::make(static_cast<uint32_t>(run / seg_elems)),
          FastDiv32::make(static_cast<uint32_t>(modulus)), kernel_op);
    };
    if constexpr (std::is_same_v<Op, IntOp>) {
      if (op.range.min_bound < 0.0f && op.range.max_bound > 0.0f) {
        launch(IntSignedOp{op});
      } else {
        launch(op);
      }
    } else {
      launch(op);
    }
    launched = true;
  });
  if (launched) *status = st;
  return launched;
}

template bool launch_segments<IntOp>(const void*, void*, int64_t, DType, const float*,
                                     const AmaxIndexing&, const IntOp&, cudaStream_t, cudaError_t*);
template bool launch_segments<Fp8Op>(const void*, void*, int64_t, DType, const float*,
                                     const AmaxIndexing&, const Fp8Op&, cudaStream_t, cudaError_t*);

}  // namespace qcfg::cuda::detail
