// Dynamic/static block formats along the last dim: NVFP4 (§4.2, §5.2) and MX (§4.1).
#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cpu/checks.h"
#include "kernels/cpu/fake_quant.h"

namespace qcfg::numerics {

namespace {

// Visits every block of `block` elements along the last dim (the last one may be partial; the
// zero padding of the spec never changes a max of magnitudes, so it is not materialised).
template <class Fn>
void for_each_block(const Shape& shape, int64_t block, Fn&& fn) {
  const Matrix2D m = as_matrix(shape);
  const int64_t blocks_per_row = ceil_div(m.cols, block);
  for (int64_t r = 0; r < m.rows; ++r) {
    for (int64_t b = 0; b < blocks_per_row; ++b) {
      const int64_t begin = r * m.cols + b * block;
      const int64_t len = std::min(block, m.cols - b * block);
      fn(r * blocks_per_row + b, begin, len);
    }
  }
}

float block_abs_max(std::span<const float> x, int64_t begin, int64_t len) {
  float m = 0.0f;
  for (int64_t i = begin; i < begin + len; ++i) m = fmax_nan_skip(m, abs_f(x[i]));
  return m;
}

// fused_amax_convert with a global amax (the pre-Hopper CUDA extension path).
void nvfp4_cuda_extension_block(std::span<const float> x, std::span<float> y, int64_t begin,
                                int64_t len, float bm, float global_amax) {
  float scale = 1.0f, unscale = 1.0f;
  if (bm != 0.0f && global_amax != 0.0f && is_finite(bm) && is_finite(global_amax)) {
    const double two_level = 448.0 * static_cast<double>(6.0f / global_amax);
    const float local_unscale = bm / 6.0f;
    const float t = static_cast<float>(static_cast<double>(local_unscale) * two_level);
    const double q = static_cast<double>(e4m3_satfinite(t)) / two_level;
    scale = static_cast<float>(1.0 / q);
    unscale = static_cast<float>(q);
  }
  for (int64_t i = begin; i < begin + len; ++i) {
    y[i] = apply_sign_ge0(x[i], e2m1_round_magnitude(abs_f(x[i]) * scale) * unscale);
  }
}

void check_nvfp4_block(int64_t block) {
  if (block != 16 && block != 32) {
    throw std::invalid_argument("NVFP4 block size must be 16 or 32, got " + std::to_string(block));
  }
}

void check_mx_block(int64_t block) {
  if (block != 8 && block != 16 && block != 32) {
    throw std::invalid_argument("MX block size must be 8, 16 or 32, got " + std::to_string(block));
  }
}

}  // namespace

void nvfp4_dynamic_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                              float global_amax, int64_t block, Nvfp4Path path) {
  detail::check_buffers(x.size(), y.size(), shape);
  check_nvfp4_block(block);
  const float gs = nvfp4_global_scale(global_amax);
  for_each_block(shape, block, [&](int64_t, int64_t begin, int64_t len) {
    const float bm = block_abs_max(x, begin, len);
    if (path == Nvfp4Path::cuda_extension) {
      nvfp4_cuda_extension_block(x, y, begin, len, bm, global_amax);
      return;
    }
    const float s = nvfp4_dynamic_block_scale(bm, gs);
    for (int64_t i = begin; i < begin + len; ++i) y[i] = e2m1_qdq_div(x[i], s);
  });
}

void nvfp4_static_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                             std::span<const float> block_amax, float global_amax,
                             bool four_over_six, int64_t block) {
  detail::check_buffers(x.size(), y.size(), shape);
  check_nvfp4_block(block);
  const AmaxLayout layout(shape, PerBlock{block});
  detail::check_amax_count(block_amax.size(), layout.size(), "nvfp4_static_fake_quant");
  const Fp8Scale scale_q =
      nvfp4_static_scale_quantizer(global_amax, four_over_six ? 256.0f : 448.0f);
  for_each_block(shape, block, [&](int64_t b, int64_t begin, int64_t len) {
    const float s = nvfp4_static_block_scale(block_amax[b], scale_q);
    for (int64_t i = begin; i < begin + len; ++i) y[i] = nvfp4_static_qdq(x[i], s);
  });
}

std::vector<int> mx_block_exponents(std::span<const float> x, const Shape& shape, MxElement element,
                                    int64_t block) {
  check_mx_block(block);
  std::vector<int> ks(AmaxLayout(shape, PerBlock{block}).size());
  for_each_block(shape, block, [&](int64_t b, int64_t begin, int64_t len) {
    ks[b] = mx_fake_exponent(block_abs_max(x, begin, len), element);
  });
  return ks;
}

void mx_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                   MxElement element, int64_t block) {
  detail::check_buffers(x.size(), y.size(), shape);
  check_mx_block(block);
  for_each_block(shape, block, [&](int64_t, int64_t begin, int64_t len) {
    const int k = mx_fake_exponent(block_abs_max(x, begin, len), element);
    for (int64_t i = begin; i < begin + len; ++i) y[i] = mx_qdq(x[i], k, element);
  });
}

}  // namespace qcfg::numerics
