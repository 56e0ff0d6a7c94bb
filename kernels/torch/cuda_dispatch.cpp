// The CUDA half of the binding: maps QuantSpecs onto the launchers of kernels/cuda, on the
// tensor's device and its current stream. Requests the kernels do not cover return false.
#include "kernels/torch/cuda_dispatch.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/cuda/kernels.h"
#include "kernels/torch/tensor_view.h"

namespace qcfg::tensor_ops::detail {

namespace {

cuda::DType dtype_of(const at::Tensor& x) {
  switch (x.scalar_type()) {
    case at::kFloat:
      return cuda::DType::f32;
    case at::kHalf:
      return cuda::DType::f16;
    default:
      return cuda::DType::bf16;
  }
}

cudaStream_t stream_of(const at::Tensor& x) {
  return c10::cuda::getCurrentCUDAStream(x.device().index()).stream();
}

void check_launch(cudaError_t status, const char* kernel) {
  if (status == cudaSuccess) return;
  if (status == cudaErrorInvalidValue) {
    throw std::invalid_argument(std::string(kernel) + ": arguments rejected by the CUDA kernel");
  }
  throw std::runtime_error(std::string(kernel) + ": CUDA error: " + cudaGetErrorString(status));
}

// Host amax values on x's device, after the CPU reference's argument checks.
at::Tensor device_amax(const at::Tensor& x, const numerics::Granularity& g,
                       const std::vector<float>& amax) {
  const auto shape = shape_of(x);
  numerics::validate(shape, g);
  const int64_t want = numerics::AmaxLayout(shape, g).size();
  if (static_cast<int64_t>(amax.size()) != want) {
    throw std::invalid_argument("expected " + std::to_string(want) + " amax values, got " +
                                std::to_string(amax.size()));
  }
  for (float a : amax) {
    if (a < 0.0f) throw std::invalid_argument("negative amax " + std::to_string(a));
  }
  return at::tensor(c10::ArrayRef<float>(amax)).to(x.device());
}

std::optional<cuda::AmaxIndexing> indexing_of(const at::Tensor& x, const numerics::Granularity& g) {
  if (std::holds_alternative<numerics::PerTensor>(g)) return cuda::AmaxIndexing::per_tensor();
  if (const auto* a = std::get_if<numerics::PerAxis>(&g)) {
    const int64_t dim = a->axis < 0 ? a->axis + x.dim() : a->axis;
    if (dim < 0 || dim >= x.dim()) return std::nullopt;  // the CPU path reports it
    return cuda::AmaxIndexing::per_axis(x.stride(dim), x.size(dim));
  }
  const auto& b = std::get<numerics::PerBlock>(g);
  if (b.block_rows != 1 || b.block <= 0) return std::nullopt;
  return cuda::AmaxIndexing::per_block(x.size(-1), b.block);
}

// Filled on the device: a host tensor moved there would be a synchronous pageable copy.
at::Tensor device_scalar(const at::Tensor& x, float v) {
  return at::full({1}, v, x.options().dtype(at::kFloat));
}

struct FakeQuantLauncher {
  const at::Tensor& x;
  at::Tensor& out;

  int64_t rows() const { return x.numel() / x.size(-1); }
  int64_t cols() const { return x.size(-1); }

  bool operator()(const numerics::IntQuant& q) const {
    if (q.format.is_unsigned || q.format.num_bits < 2 || q.format.num_bits > 8) return false;
    const auto idx = indexing_of(x, q.granularity);
    if (!idx) return false;
    const at::Tensor amax = device_amax(x, q.granularity, q.amax);
    const cuda::IntQuantParams p{q.format.num_bits, q.format.is_unsigned, q.format.narrow_range,
                                 q.format.tiny_amax};
    check_launch(cuda::int_fake_quant(x.data_ptr(), out.data_ptr(), x.numel(), dtype_of(x),
                                      amax.data_ptr<float>(), *idx, p, stream_of(x)),
                 "int_fake_quant");
    return true;
  }
  bool operator()(const numerics::Fp8Quant& q) const {
    const auto idx = indexing_of(x, q.granularity);
    if (!idx) return false;
    const at::Tensor amax = device_amax(x, q.granularity, q.amax);
    check_launch(cuda::fp8_fake_quant(x.data_ptr(), out.data_ptr(), x.numel(), dtype_of(x),
                                      amax.data_ptr<float>(), *idx, stream_of(x)),
                 "fp8_fake_quant");
    return true;
  }
  bool operator()(const numerics::Nvfp4DynamicQuant& q) const {
    if (q.block != 16 || q.path != numerics::Nvfp4Path::triton) return false;
    const at::Tensor g = device_scalar(x, q.global_amax);
    check_launch(cuda::nvfp4_fake_quant(x.data_ptr(), out.data_ptr(), rows(), cols(), dtype_of(x),
                                        g.data_ptr<float>(), stream_of(x)),
                 "nvfp4_fake_quant");
    return true;
  }
  bool operator()(const numerics::Nvfp4StaticQuant&) const { return false; }
  bool operator()(const numerics::MxQuant& q) const {
    if (q.block != 8 && q.block != 16 && q.block != 32) return false;
    check_launch(cuda::mx_fake_quant(x.data_ptr(), out.data_ptr(), rows(), cols(), dtype_of(x),
                                     q.element, static_cast<int>(q.block), stream_of(x)),
                 "mx_fake_quant");
    return true;
  }
};

}  // namespace

bool cuda_built() { return true; }

bool cuda_device_visible() { return cuda_device_count() > 0; }

int cuda_device_count() {
  int count = 0;
  return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

bool cuda_fake_quant(const at::Tensor& x, at::Tensor& out, const numerics::QuantSpec& spec) {
  const c10::cuda::CUDAGuard guard(x.device());
  return std::visit(FakeQuantLauncher{x, out}, spec);
}

bool cuda_hadamard(const at::Tensor& x, at::Tensor& out, int64_t block) {
  const c10::cuda::CUDAGuard guard(x.device());
  const int64_t cols = x.size(-1);
  check_launch(cuda::hadamard(x.data_ptr(), out.data_ptr(), x.numel() / cols, cols, dtype_of(x),
                              block, stream_of(x)),
               "hadamard");
  return true;
}

bool cuda_rotate_back_fused(const at::Tensor& x, at::Tensor& out, const numerics::QuantSpec& spec,
                            int64_t block) {
  const auto* q = std::get_if<numerics::Nvfp4DynamicQuant>(&spec);
  if (q == nullptr || q->block != 16 || q->path != numerics::Nvfp4Path::triton) return false;
  if (block != 16 && block != 32 && block != 64 && block != 128) return false;
  const c10::cuda::CUDAGuard guard(x.device());
  const int64_t cols = x.size(-1);
  const at::Tensor g = device_scalar(x, q->global_amax);
  check_launch(
      cuda::rotate_nvfp4_rotate_back(x.data_ptr(), out.data_ptr(), x.numel() / cols, cols,
                                     dtype_of(x), block, g.data_ptr<float>(), stream_of(x)),
      "rotate_nvfp4_rotate_back");
  return true;
}

std::optional<std::pair<at::Tensor, at::Tensor>> cuda_pack_nvfp4(const at::Tensor& x,
                                                                 float global_amax) {
  const c10::cuda::CUDAGuard guard(x.device());
  const int64_t cols = x.size(-1), rows = x.numel() / cols;
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  const auto bytes = x.options().dtype(at::kByte);
  shape.back() = cols / 2;
  at::Tensor codes = at::empty(shape, bytes);
  shape.back() = cols / 16;
  at::Tensor scales = at::empty(shape, bytes);
  const at::Tensor g = device_scalar(x, global_amax);
  check_launch(cuda::pack_nvfp4(x.data_ptr(), codes.data_ptr<uint8_t>(), scales.data_ptr<uint8_t>(),
                                rows, cols, dtype_of(x), g.data_ptr<float>(), stream_of(x)),
               "pack_nvfp4");
  return std::make_pair(codes, scales);
}

std::optional<at::Tensor> cuda_pack_scaled(const at::Tensor& x, ScaledPack kind,
                                           const numerics::Granularity& g,
                                           const std::vector<float>& scales) {
  const auto idx = indexing_of(x, g);
  if (!idx) return std::nullopt;
  const c10::cuda::CUDAGuard guard(x.device());
  const bool fp8 = kind == ScaledPack::fp8;
  at::Tensor codes = at::empty(x.sizes(), x.options().dtype(fp8 ? at::kByte : at::kChar));
  const at::Tensor s = at::tensor(c10::ArrayRef<float>(scales)).to(x.device());
  auto* launch = fp8 ? &cuda::pack_fp8 : &cuda::pack_int8;
  check_launch(launch(x.data_ptr(), static_cast<uint8_t*>(codes.data_ptr()), x.numel(), dtype_of(x),
                      s.data_ptr<float>(), *idx, stream_of(x)),
               fp8 ? "pack_fp8" : "pack_int8");
  return codes;
}

std::optional<at::Tensor> cuda_pack_int4(const at::Tensor& x, int64_t block,
                                         const std::vector<float>& scales) {
  const c10::cuda::CUDAGuard guard(x.device());
  const int64_t rows = x.size(0), cols = x.size(1);
  at::Tensor codes = at::empty({rows / 2, cols}, x.options().dtype(at::kByte));
  const at::Tensor s = at::tensor(c10::ArrayRef<float>(scales)).to(x.device());
  check_launch(cuda::pack_int4(x.data_ptr(), codes.data_ptr<uint8_t>(), rows, cols, dtype_of(x),
                               s.data_ptr<float>(), block, stream_of(x)),
               "pack_int4");
  return codes;
}

std::optional<std::vector<float>> cuda_max_amax(const at::Tensor& x,
                                                const numerics::Granularity& g) {
  const c10::cuda::CUDAGuard guard(x.device());
  const auto* b = std::get_if<numerics::PerBlock>(&g);
  const bool per_tensor = std::holds_alternative<numerics::PerTensor>(g);
  const bool block16 = b != nullptr && b->block == 16 && b->block_rows == 1;
  if (!per_tensor && !block16) return std::nullopt;
  const int64_t cols = x.size(-1), rows = x.numel() / cols;
  const int64_t count = per_tensor ? 1 : rows * numerics::ceil_div(cols, 16);
  at::Tensor amax = at::empty({count}, x.options().dtype(at::kFloat));
  check_launch(per_tensor ? cuda::amax_per_tensor(x.data_ptr(), x.numel(), dtype_of(x),
                                                  amax.data_ptr<float>(), stream_of(x))
                          : cuda::amax_per_block16(x.data_ptr(), rows, cols, dtype_of(x),
                                                   amax.data_ptr<float>(), stream_of(x)),
               "amax");
  const at::Tensor host = amax.to(at::kCPU);
  std::vector<float> out(host.data_ptr<float>(), host.data_ptr<float>() + count);
  for (float a : out) {
    if (!std::isfinite(a)) throw std::runtime_error("max calibration: amax is NaN or inf");
  }
  return out;
}

bool cuda_fold_amax(const at::Tensor& acc, int64_t index, const at::Tensor& x) {
  const c10::cuda::CUDAGuard guard(x.device());
  check_launch(cuda::amax_fold_per_tensor(x.data_ptr(), x.numel(), dtype_of(x),
                                          acc.data_ptr<float>() + index, stream_of(x)),
               "fold_amax");
  return true;
}

std::shared_ptr<void> cuda_use_pool_stream(int device_index) {
  const auto index = static_cast<c10::DeviceIndex>(device_index);
  return std::make_shared<c10::cuda::CUDAStreamGuard>(c10::cuda::getStreamFromPool(false, index));
}

void cuda_sync_current_stream(int device_index) {
  c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device_index)).synchronize();
}

}  // namespace qcfg::tensor_ops::detail
