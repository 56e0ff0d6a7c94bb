// Device dispatch of the tensor-level numerics: CUDA kernels for tensors on a GPU when they cover
// the request, the CPU reference otherwise (a host round trip for the GPU tensors it does not
// cover, which yields the same bits).
#include "kernels/torch/tensor_ops.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "kernels/cpu/fp8_scale_sweep.h"
#include "kernels/torch/cuda_dispatch.h"
#include "kernels/torch/tensor_view.h"

namespace qcfg::tensor_ops {

namespace {

using detail::check_float_tensor;
using detail::shape_of;

// Re-throws a numerics argument error with the operation's name in front.
template <class F>
auto named(const char* op, F&& f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string(op) + ": " + e.what());
  }
}

at::Tensor cpu_fake_quant(const at::Tensor& x, const numerics::QuantSpec& spec) {
  const at::Tensor in = x.to(at::kCPU).contiguous();
  at::Tensor out = at::empty_like(in);
  const auto shape = shape_of(in);
  detail::with_storage_spans(
      in, out, [&](auto src, auto dst) { numerics::fake_quant(spec, src, dst, shape); });
  return out;
}

at::Tensor cpu_hadamard(const at::Tensor& x, int64_t block) {
  const at::Tensor in = x.to(at::kCPU).contiguous();
  at::Tensor out = at::empty_like(in);
  const auto shape = shape_of(in);
  detail::with_storage_spans(
      in, out, [&](auto src, auto dst) { numerics::hadamard_transform(src, dst, shape, block); });
  return out;
}

bool is_rotate_back(const numerics::RotateConfig& rot) {
  return rot.mode == numerics::RotateMode::rotate_back;
}

}  // namespace

bool cuda_available() { return detail::cuda_built() && detail::cuda_device_visible(); }

int cuda_device_count() { return cuda_available() ? detail::cuda_device_count() : 0; }

at::Tensor fake_quant(const at::Tensor& x, const numerics::QuantSpec& spec) {
  check_float_tensor(x, "fake_quant");
  return named("fake_quant", [&] {
    if (x.is_cuda()) {
      const at::Tensor in = x.contiguous();
      at::Tensor out = at::empty_like(in);
      if (detail::cuda_fake_quant(in, out, spec)) return out;
    }
    return cpu_fake_quant(x, spec).to(x.device());
  });
}

at::Tensor hadamard(const at::Tensor& x, std::optional<int64_t> block) {
  check_float_tensor(x, "hadamard");
  return named("hadamard", [&] {
    const int64_t n = numerics::hadamard_block_size(x.size(-1), block);
    if (x.is_cuda() && n > 1) {
      const at::Tensor in = x.contiguous();
      at::Tensor out = at::empty_like(in);
      if (detail::cuda_hadamard(in, out, n)) return out;
    }
    return cpu_hadamard(x, n).to(x.device());
  });
}

at::Tensor rotate_fake_quant(const at::Tensor& x, const numerics::QuantSpec& spec,
                             const numerics::RotateConfig& rot) {
  check_float_tensor(x, "rotate_fake_quant");
  const int64_t n = named("rotate_fake_quant",
                          [&] { return numerics::hadamard_block_size(x.size(-1), rot.block); });
  if (x.is_cuda() && is_rotate_back(rot)) {
    const at::Tensor in = x.contiguous();
    at::Tensor out = at::empty_like(in);
    if (named("rotate_fake_quant",
              [&] { return detail::cuda_rotate_back_fused(in, out, spec, n); }))
      return out;
  }
  // Composite: every stage returns x's dtype, so each intermediate is rounded like ModelOpt's.
  at::Tensor y = fake_quant(hadamard(x, n), spec);
  return is_rotate_back(rot) ? hadamard(y, n) : y;
}

std::vector<float> max_amax(const at::Tensor& x, const numerics::Granularity& g) {
  check_float_tensor(x, "max_amax");
  return named("max_amax", [&] {
    if (x.is_cuda()) {
      if (auto amax = detail::cuda_max_amax(x.contiguous(), g)) return *std::move(amax);
    }
    const at::Tensor f32 = detail::cpu_float(x);
    return numerics::max_amax(detail::float_span(f32), shape_of(f32), g);
  });
}

std::vector<float> nvfp4_fp8_sweep_amax(const at::Tensor& w, float global_amax,
                                        size_t stored_bytes) {
  check_float_tensor(w, "nvfp4_fp8_sweep_amax");
  return named("nvfp4_fp8_sweep_amax", [&] {
    const at::Tensor f32 = detail::cpu_float(w);
    return numerics::nvfp4_fp8_sweep_amax(detail::float_span(f32), global_amax, stored_bytes);
  });
}

void fold_amax(const at::Tensor& acc, int64_t index, const at::Tensor& x) {
  const auto t = x.scalar_type();
  if (t != at::kFloat && t != at::kHalf && t != at::kBFloat16) {
    throw std::invalid_argument(std::string("fold_amax: dtype ") + detail::dtype_name(x) +
                                " is not supported; pass a float32, float16 or bfloat16 tensor");
  }
  if (acc.scalar_type() != at::kFloat || acc.dim() != 1 || !acc.is_contiguous()) {
    throw std::invalid_argument(
        "fold_amax: the accumulator must be a contiguous 1-D float32 tensor");
  }
  if (acc.device() != x.device()) {
    throw std::invalid_argument("fold_amax: the accumulator is on " + acc.device().str() +
                                ", the tensor on " + x.device().str());
  }
  if (index < 0 || index >= acc.numel()) {
    throw std::invalid_argument("fold_amax: index " + std::to_string(index) +
                                " is outside the accumulator (" + std::to_string(acc.numel()) +
                                " entries)");
  }
  if (x.numel() == 0) return;
  if (x.is_cuda()) {
    const at::Tensor dense = x.is_non_overlapping_and_dense() ? x : x.contiguous();
    if (detail::cuda_fold_amax(acc, index, dense)) return;
    // A build without the CUDA kernels: the same max with ATen ops on the device.
    const auto [lo, hi] = at::aminmax(dense);
    at::Tensor slot = acc.narrow(0, index, 1);
    at::maximum_out(slot, slot, at::maximum(hi.abs(), lo.abs()).to(at::kFloat).reshape({1}));
    return;
  }
  // The storage range of a dense x in parallel chunks: no temporary and no ATen op per call
  // (the per-call cost is what calibration adds to a forward dominated by small ops).
  const at::Tensor dense = x.is_non_overlapping_and_dense() ? x : x.contiguous();
  std::atomic<uint32_t> best{numerics::float_bits(acc.data_ptr<float>()[index]) & 0x7fffffffu};
  const auto fold = [&](const auto* p) {
    at::parallel_for(0, dense.numel(), 1 << 15, [&](int64_t begin, int64_t end) {
      uint32_t m = 0;
      for (int64_t i = begin; i < end; ++i)
        m = std::max(m, numerics::float_bits(static_cast<float>(p[i])) & 0x7fffffffu);
      uint32_t seen = best.load();
      while (m > seen && !best.compare_exchange_weak(seen, m)) {
      }
    });
  };
  if (t == at::kFloat)
    fold(dense.data_ptr<float>());
  else if (t == at::kHalf)
    fold(dense.data_ptr<at::Half>());
  else
    fold(dense.data_ptr<at::BFloat16>());
  acc.data_ptr<float>()[index] = numerics::bits_float(best.load());
}

void JointCalibrator::collect(const at::Tensor& x) { calibrator_.merge(max_amax(x, granularity_)); }

}  // namespace qcfg::tensor_ops
