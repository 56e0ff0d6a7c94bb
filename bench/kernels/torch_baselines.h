// Plain-PyTorch (ATen) implementations of the benchmarked ops: what a user writes without custom
// kernels. They define the "torch" column of bench_kernels; correctness lives in the tests.
#pragma once

#include <ATen/ATen.h>

namespace qcfg::bench {

inline at::Tensor fp8_e4m3_round(const at::Tensor& f32) {
  return f32.to(at::kFloat8_e4m3fn).to(at::kFloat);
}

// Sylvester-ordered normalized Hadamard matrix of size n (fp32).
inline at::Tensor hadamard_matrix(int64_t n, const at::TensorOptions& opts) {
  at::Tensor h = at::ones({1, 1}, opts.dtype(at::kFloat));
  while (h.size(0) < n) h = at::cat({at::cat({h, h}, 1), at::cat({h, -h}, 1)}, 0);
  return h / std::sqrt(static_cast<double>(n));
}

inline at::Tensor torch_hadamard(const at::Tensor& x, const at::Tensor& h) {
  const int64_t n = h.size(0);
  return at::matmul(x.reshape({-1, n}).to(at::kFloat), h).reshape(x.sizes()).to(x.scalar_type());
}

inline at::Tensor torch_fp8(const at::Tensor& x, double amax) {
  const double s = amax / 448.0;
  return (fp8_e4m3_round((x.to(at::kFloat) / s).clamp(-448, 448)) * s).to(x.scalar_type());
}

inline at::Tensor torch_int_per_row(const at::Tensor& x, int64_t block, double max_bound) {
  const at::Tensor xb = x.reshape({-1, block}).to(at::kFloat);
  const at::Tensor scale = max_bound / xb.abs().amax(-1, true);
  return ((xb * scale).round().clamp(-max_bound, max_bound) / scale)
      .reshape(x.sizes())
      .to(x.scalar_type());
}

// Nearest E2M1 magnitude (ties to the even code) of |v|, by bucketizing on the midpoints.
inline at::Tensor e2m1_magnitude(const at::Tensor& a) {
  const auto opts = a.options();
  const at::Tensor levels = at::tensor({0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 3.0f, 4.0f, 6.0f}, opts);
  const at::Tensor mids = at::tensor({0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f}, opts);
  return levels.index({at::bucketize(a.clamp(0, 6), mids)});
}

inline at::Tensor nvfp4_block_scale(const at::Tensor& xb, double global_amax) {
  const double gs = global_amax / 2688.0;
  at::Tensor s = fp8_e4m3_round((xb.abs().amax(-1, true) / (6.0 * gs)).clamp_max(448)) * gs;
  return at::where(s < 1e-5, at::ones_like(s), s);
}

inline at::Tensor torch_nvfp4(const at::Tensor& x, double global_amax) {
  const at::Tensor xb = x.reshape({-1, 16}).to(at::kFloat);
  const at::Tensor s = nvfp4_block_scale(xb, global_amax);
  return (at::sign(xb) * e2m1_magnitude(xb.abs() / s) * s).reshape(x.sizes()).to(x.scalar_type());
}

inline at::Tensor mx_scale(const at::Tensor& xb, int emax) {
  return at::exp2(at::floor(at::log2(xb.abs().amax(-1, true))) - emax);
}

inline at::Tensor torch_mxfp8(const at::Tensor& x) {
  const at::Tensor xb = x.reshape({-1, 32}).to(at::kFloat);
  const at::Tensor s = mx_scale(xb, 8);
  return (fp8_e4m3_round((xb / s).clamp(-448, 448)) * s).reshape(x.sizes()).to(x.scalar_type());
}

inline at::Tensor torch_mxfp4(const at::Tensor& x) {
  const at::Tensor xb = x.reshape({-1, 32}).to(at::kFloat);
  const at::Tensor s = mx_scale(xb, 2);
  return (at::sign(xb) * e2m1_magnitude(xb.abs() / s) * s).reshape(x.sizes()).to(x.scalar_type());
}

inline at::Tensor torch_rotate_nvfp4_rotate_back(const at::Tensor& x, const at::Tensor& h,
                                                 double global_amax) {
  return torch_hadamard(torch_nvfp4(torch_hadamard(x, h), global_amax), h);
}

inline at::Tensor torch_amax_block16(const at::Tensor& x) {
  return x.reshape({-1, 16}).abs().amax(-1).to(at::kFloat);
}

// Codes (even element low nibble) and E4M3 scale bytes of NVFP4 export.
inline std::pair<at::Tensor, at::Tensor> torch_pack_nvfp4(const at::Tensor& x, double global_amax) {
  const at::Tensor xb = x.reshape({-1, 16}).to(at::kFloat);
  const double gs = global_amax / 2688.0;
  const at::Tensor ratio = (xb.abs().amax(-1, true) / (6.0 * gs)).clamp(1.0 / 512, 448);
  const at::Tensor scale8 = ratio.to(at::kFloat8_e4m3fn);
  const at::Tensor v = xb / (scale8.to(at::kFloat) * gs);
  const at::Tensor mids = at::tensor({0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f}, v.options());
  const at::Tensor code = at::bucketize(v.abs().clamp(0, 6), mids).to(at::kByte) +
                          (v < 0).to(at::kByte) * 8;
  const at::Tensor pairs = code.reshape({-1, 2});
  const at::Tensor packed = pairs.select(1, 0) + pairs.select(1, 1) * 16;
  return {packed, scale8.view(at::kByte)};
}

}  // namespace qcfg::bench
