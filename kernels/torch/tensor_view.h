// Internal: views of at::Tensor storage as qcfg::numerics spans, and argument checks shared by the
// CPU and CUDA halves of the binding.
#pragma once

#include <ATen/ATen.h>

#include <span>
#include <stdexcept>
#include <string>

#include "kernels/cpu/numerics.h"

namespace qcfg::tensor_ops::detail {

inline numerics::Shape shape_of(const at::Tensor& x) {
  return numerics::Shape(x.sizes().begin(), x.sizes().end());
}

inline std::string dtype_name(const at::Tensor& x) { return std::string(c10::toString(x.scalar_type())); }

// fp32 / fp16 / bf16, at least one element, at least one dim.
inline void check_float_tensor(const at::Tensor& x, const char* op) {
  const auto t = x.scalar_type();
  if (t != at::kFloat && t != at::kHalf && t != at::kBFloat16) {
    throw std::invalid_argument(std::string(op) + ": dtype " + dtype_name(x) +
                                " is not supported; pass a float32, float16 or bfloat16 tensor");
  }
  if (x.dim() == 0 || x.numel() == 0) {
    throw std::invalid_argument(std::string(op) + ": empty tensor (shape " +
                                c10::str(x.sizes()) + "); pass a tensor with at least one element");
  }
}

// Calls f(span<const T>, span<T>) with T the numerics storage type matching x's dtype; in and out
// are contiguous CPU tensors of the same dtype and numel.
template <class F>
void with_storage_spans(const at::Tensor& in, at::Tensor& out, F&& f) {
  const auto n = static_cast<size_t>(in.numel());
  switch (in.scalar_type()) {
    case at::kFloat:
      f(std::span<const float>(in.data_ptr<float>(), n), std::span<float>(out.data_ptr<float>(), n));
      return;
    case at::kHalf:
      f(std::span<const numerics::Half>(reinterpret_cast<const numerics::Half*>(in.data_ptr()), n),
        std::span<numerics::Half>(reinterpret_cast<numerics::Half*>(out.data_ptr()), n));
      return;
    case at::kBFloat16:
      f(std::span<const numerics::BFloat16>(reinterpret_cast<const numerics::BFloat16*>(in.data_ptr()),
                                            n),
        std::span<numerics::BFloat16>(reinterpret_cast<numerics::BFloat16*>(out.data_ptr()), n));
      return;
    default:
      throw std::invalid_argument("unsupported dtype " + dtype_name(in));
  }
}

// The CPU fp32 copy of a tensor (exact widening), contiguous.
inline at::Tensor cpu_float(const at::Tensor& x) {
  return x.to(at::kCPU).to(at::kFloat).contiguous();
}

inline std::span<const float> float_span(const at::Tensor& f32) {
  return {f32.data_ptr<float>(), static_cast<size_t>(f32.numel())};
}

}  // namespace qcfg::tensor_ops::detail
