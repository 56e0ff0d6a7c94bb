#include "kernels/cpu/fp8_scale_sweep.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "kernels/cpu/scalar_ops.h"

namespace qcfg::numerics {
namespace {

constexpr size_t kBlock = 16;

// Squared error of one block against one candidate scale, summed as the Triton kernel sums it:
// the difference fused (w - q * s is one FMA: Triton contracts by default), each thread's run of
// `per_thread` consecutive elements accumulated in order with FMAs, then the threads' partial
// sums combined by the warp butterfly (offsets halving). Loads of 16-bit weights give a thread 8
// elements (one 128-bit vector), fp32 weights 4.
float block_loss(const float* w_abs, float scale, size_t per_thread) {
  const float safe = scale == 0.0f ? 1.0f : scale;
  float d[kBlock];
  for (size_t i = 0; i < kBlock; ++i) {
    const float q = e2m1_round_magnitude(div_full(w_abs[i], safe));
    d[i] = std::fma(-q, safe, w_abs[i]);
  }
  float partial[kBlock];
  const size_t threads = kBlock / per_thread;
  for (size_t t = 0; t < threads; ++t) {
    const float* run = d + t * per_thread;
    float acc = run[0] * run[0];
    for (size_t i = 1; i < per_thread; ++i) acc = std::fma(run[i], run[i], acc);
    partial[t] = acc;
  }
  for (size_t offset = threads / 2; offset > 0; offset /= 2)
    for (size_t t = 0; t < offset; ++t) partial[t] = partial[t] + partial[t + offset];
  return partial[0];
}

}  // namespace

const std::vector<float>& fp8_scale_candidates() {
  static const std::vector<float> candidates = [] {
    std::vector<float> c;
    for (uint32_t code = 1; code < 0x7f; ++code)
      c.push_back(times_reciprocal(e4m3_value(static_cast<uint8_t>(code)), 448.0f));
    return c;
  }();
  return candidates;
}

std::vector<float> nvfp4_fp8_sweep_amax(std::span<const float> x, float global_amax,
                                        size_t weight_bytes) {
  if (x.size() % kBlock != 0)
    throw std::invalid_argument("the FP8 scale sweep needs whole 16-element blocks, got " +
                                std::to_string(x.size()) + " elements");
  const std::vector<float>& candidates = fp8_scale_candidates();
  const size_t per_thread = weight_bytes == 4 ? 4 : 8;
  std::vector<float> amax(x.size() / kBlock);
  for (size_t b = 0; b < amax.size(); ++b) {
    float w_abs[kBlock];
    for (size_t i = 0; i < kBlock; ++i) w_abs[i] = abs_f(x[b * kBlock + i]);
    float best_loss = std::numeric_limits<float>::infinity();
    size_t best = 0;
    for (size_t k = 0; k < candidates.size(); ++k) {
      const float scale = div_full(candidates[k] * global_amax, 6.0f);  // c * G / 6.0 in Triton
      const float loss = block_loss(w_abs, scale, per_thread);
      if (loss < best_loss) {
        best_loss = loss;
        best = k;
      }
    }
    amax[b] = global_amax * candidates[best];
  }
  return amax;
}

}  // namespace qcfg::numerics
