// Real-quant packing of tensors (spec §10) through the CPU reference; results are CPU tensors in
// the export layouts documented in tensor_ops.h.
#include <cstring>
#include <optional>
#include <string>

#include "kernels/cpu/checks.h"
#include "kernels/cpu/pack.h"
#include "kernels/cpu/scalar_ops.h"
#include "kernels/torch/cuda_dispatch.h"
#include "kernels/torch/tensor_ops.h"
#include "kernels/torch/tensor_view.h"

namespace qcfg::tensor_ops {

namespace {

using detail::shape_of;

template <class T>
at::Tensor bytes_tensor(const std::vector<T>& v, std::vector<int64_t> shape, at::ScalarType type) {
  at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
  if (static_cast<size_t>(t.numel()) != v.size()) {
    throw std::logic_error("packed size " + std::to_string(v.size()) + " does not fit shape " +
                           c10::str(t.sizes()));
  }
  std::memcpy(t.data_ptr(), v.data(), v.size() * sizeof(T));
  return t;
}

// w's shape with the last dim replaced.
std::vector<int64_t> with_last(const at::Tensor& w, int64_t last) {
  std::vector<int64_t> s(w.sizes().begin(), w.sizes().end());
  s.back() = last;
  return s;
}

struct PackInput {
  at::Tensor f32;  // CPU fp32 contiguous copy
  numerics::Shape shape;
  numerics::Matrix2D m;
};

void check_pack_input(const at::Tensor& w, const char* op, int64_t cols_multiple) {
  detail::check_float_tensor(w, op);
  const int64_t cols = w.size(-1);
  if (cols_multiple > 1 && cols % cols_multiple != 0) {
    throw std::invalid_argument(std::string(op) + ": last dim " + std::to_string(cols) +
                                " is not a multiple of " + std::to_string(cols_multiple) +
                                "; this format packs blocks of " + std::to_string(cols_multiple) +
                                " along the last dim");
  }
}

PackInput prepare(const at::Tensor& w, const char* op, int64_t cols_multiple) {
  check_pack_input(w, op, cols_multiple);
  PackInput in{detail::cpu_float(w), shape_of(w), {}};
  in.m = numerics::as_matrix(in.shape);
  return in;
}

// Runs a packer and moves its result to w's device.
template <class F>
Packed named(const char* op, const at::Tensor& w, F&& f) {
  try {
    Packed p = f();
    p.codes = p.codes.to(w.device());
    p.scales = p.scales.to(w.device());
    return p;
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    if (msg.rfind(op, 0) == 0) throw;
    throw std::invalid_argument(std::string(op) + ": " + msg);
  }
}

Packed from_nvfp4(const at::Tensor& w, const numerics::Nvfp4Packed& p, int64_t block = 16) {
  const int64_t cols = w.size(-1);
  return {bytes_tensor(p.codes, with_last(w, cols / 2), at::kByte),
          bytes_tensor(p.scales, with_last(w, cols / block), at::kByte), p.global_scale};
}

std::vector<int64_t> amax_layout_shape(const numerics::Shape& shape,
                                       const numerics::Granularity& g) {
  if (std::holds_alternative<numerics::PerTensor>(g)) return {};
  return {numerics::AmaxLayout(shape, g).size()};
}

// Export scales export_scale(a, maxbound) (§10.1, ModelOpt 0.47's reciprocal) after the reference's
// count check.
std::vector<float> export_scales(const std::vector<float>& amax, int64_t want, float maxbound,
                                 const char* op) {
  numerics::detail::check_amax_count(amax.size(), want, op);
  std::vector<float> scales(amax.size());
  for (size_t i = 0; i < amax.size(); ++i) scales[i] = numerics::export_scale(amax[i], maxbound);
  return scales;
}

// FP8 / INT8 packing of a CUDA tensor on the device (nullopt: not covered, use the reference).
std::optional<Packed> cuda_scaled(const at::Tensor& w, detail::ScaledPack kind,
                                  const numerics::Granularity& g, const std::vector<float>& amax,
                                  float maxbound) {
  if (!w.is_cuda()) return std::nullopt;
  const char* op = kind == detail::ScaledPack::fp8 ? "pack_fp8" : "pack_int8";
  check_pack_input(w, op, 1);
  const numerics::Shape shape = shape_of(w);
  const auto scales = export_scales(amax, numerics::AmaxLayout(shape, g).size(), maxbound, op);
  auto codes = detail::cuda_pack_scaled(w.contiguous(), kind, g, scales);
  if (!codes) return std::nullopt;
  return Packed{*codes, bytes_tensor(scales, amax_layout_shape(shape, g), at::kFloat)};
}

// Per-tensor FP8 codes as the reference computes them with a rounded quotient:
// e4m3(torch cast)(round_to(stored, f32(x) / round_to(stored, scale))). The division is an fp32
// tensor-by-tensor division (a one-element device tensor, not a host scalar, which ATen would turn
// into a multiplication by the reciprocal), the roundings are ATen's RNE casts, and the float8
// cast is tensor.to(float8_e4m3fn), which the reference's Overflow::torch_cast mirrors.
std::optional<Packed> cuda_rounded_quotient_fp8(const at::Tensor& w, const std::vector<float>& amax,
                                                at::ScalarType stored) {
#if __has_include(<c10/util/Float8_e4m3fn.h>)
  if (!w.is_cuda()) return std::nullopt;
  check_pack_input(w, "pack_fp8", 1);
  const numerics::Shape shape = shape_of(w);
  const auto scales = export_scales(amax, 1, 448.0f, "pack_fp8");
  const at::Tensor scale = at::full({1}, scales[0], w.options().dtype(at::kFloat))
                               .to(stored)
                               .to(at::kFloat);
  const at::Tensor codes = at::div(w.to(at::kFloat), scale)
                               .to(stored)
                               .to(at::kFloat8_e4m3fn)
                               .view(at::kByte)
                               .contiguous();
  return Packed{codes, bytes_tensor(scales, amax_layout_shape(shape, numerics::PerTensor{}),
                                    at::kFloat)};
#else
  (void)w, (void)amax, (void)stored;
  return std::nullopt;  // LibTorch < 2.1 has no float8 dtype
#endif
}

}  // namespace

Packed pack_nvfp4(const at::Tensor& w, float global_amax, int64_t block) {
  return named("pack_nvfp4", w, [&] {
    check_pack_input(w, "pack_nvfp4", block);
    if (w.is_cuda() && block == 16) {  // the GPU kernel packs 16-wide blocks; 32 runs here
      if (auto p = detail::cuda_pack_nvfp4(w.contiguous(), global_amax)) {
        return Packed{p->first, p->second, numerics::nvfp4_weight_scale_2(global_amax)};
      }
    }
    const PackInput in = prepare(w, "pack_nvfp4", block);
    return from_nvfp4(
        w, numerics::pack_nvfp4_dynamic(detail::float_span(in.f32), in.m, global_amax, block),
        block);
  });
}

Packed pack_nvfp4_static(const at::Tensor& w, const std::vector<float>& block_amax,
                         float global_amax, bool four_over_six) {
  return named("pack_nvfp4_static", w, [&] {
    const PackInput in = prepare(w, "pack_nvfp4_static", 16);
    return from_nvfp4(w, numerics::pack_nvfp4_static(detail::float_span(in.f32), in.m, block_amax,
                                                     global_amax, four_over_six));
  });
}

Packed pack_int4(const at::Tensor& w, int64_t block, const std::vector<float>& block_amax) {
  return named("pack_int4", w, [&] {
    if (w.dim() != 2) {
      throw std::invalid_argument("INT4 export packs 2-D weights; got shape " +
                                  c10::str(w.sizes()));
    }
    if (w.is_cuda()) {
      check_pack_input(w, "pack_int4", 1);
      numerics::detail::check_positive_block(block, "pack_int4_export");
      if (w.size(0) % 2 != 0)
        throw std::invalid_argument("INT4 export packing: out (rows) must be even");
      const int64_t col_blocks = numerics::ceil_div(w.size(1), block);
      const auto scales =
          export_scales(block_amax, w.size(0) * col_blocks, 7.0f, "pack_int4_export");
      if (auto codes = detail::cuda_pack_int4(w.contiguous(), block, scales))
        return Packed{*codes, bytes_tensor(scales, {w.size(0), col_blocks}, at::kFloat)};
    }
    const PackInput in = prepare(w, "pack_int4", 1);
    const auto p = numerics::pack_int4_export(detail::float_span(in.f32), in.m, block, block_amax);
    return Packed{
        bytes_tensor(p.codes, {in.m.rows / 2, in.m.cols}, at::kByte),
        bytes_tensor(p.scales, {in.m.rows, numerics::ceil_div(in.m.cols, block)}, at::kFloat)};
  });
}

Packed pack_mxfp4(const at::Tensor& w) {
  return named("pack_mxfp4", w, [&] {
    const PackInput in = prepare(w, "pack_mxfp4", 32);
    const auto p = numerics::pack_mxfp4(detail::float_span(in.f32));
    return Packed{bytes_tensor(p.codes, with_last(w, in.m.cols / 2), at::kByte),
                  bytes_tensor(p.scales, with_last(w, in.m.cols / 32), at::kByte)};
  });
}

Packed pack_mxfp8(const at::Tensor& w) {
  return named("pack_mxfp8", w, [&] {
    const PackInput in = prepare(w, "pack_mxfp8", 1);
    const auto p = numerics::pack_mxfp8(detail::float_span(in.f32), in.m);
    return Packed{
        bytes_tensor(p.codes, with_last(w, in.m.cols), at::kByte),
        bytes_tensor(p.scales, with_last(w, numerics::ceil_div(in.m.cols, 32)), at::kByte)};
  });
}

Packed pack_fp8(const at::Tensor& w, const numerics::Granularity& g, const std::vector<float>& amax,
                at::ScalarType stored) {
  return named("pack_fp8", w, [&] {
    using numerics::QuotientPrecision;
    QuotientPrecision quotient = QuotientPrecision::f32;
    if (std::holds_alternative<numerics::PerTensor>(g) && stored == at::kBFloat16)
      quotient = QuotientPrecision::bf16;
    if (std::holds_alternative<numerics::PerTensor>(g) && stored == at::kHalf)
      quotient = QuotientPrecision::f16;
    // The GPU kernel divides in fp32 only; the quotient rounded to the stored dtype runs as ATen
    // ops on the device where LibTorch has float8, on the reference elsewhere.
    if (quotient == QuotientPrecision::f32)
      if (auto p = cuda_scaled(w, detail::ScaledPack::fp8, g, amax, 448.0f)) return *p;
    if (quotient != QuotientPrecision::f32)
      if (auto p = cuda_rounded_quotient_fp8(w, amax, stored)) return *p;
    const PackInput in = prepare(w, "pack_fp8", 1);
    const auto p = numerics::pack_fp8(detail::float_span(in.f32), in.shape, g, amax, quotient);
    return Packed{bytes_tensor(p.codes, in.shape, at::kByte),
                  bytes_tensor(p.scales, amax_layout_shape(in.shape, g), at::kFloat)};
  });
}

Packed pack_int8(const at::Tensor& w, const numerics::Granularity& g,
                 const std::vector<float>& amax) {
  return named("pack_int8", w, [&] {
    if (auto p = cuda_scaled(w, detail::ScaledPack::int8, g, amax, 127.0f)) return *p;
    const PackInput in = prepare(w, "pack_int8", 1);
    const auto p = numerics::pack_int8(detail::float_span(in.f32), in.shape, g, amax);
    return Packed{bytes_tensor(p.codes, in.shape, at::kChar),
                  bytes_tensor(p.scales, amax_layout_shape(in.shape, g), at::kFloat)};
  });
}

}  // namespace qcfg::tensor_ops
