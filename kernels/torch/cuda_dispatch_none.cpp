// The CUDA half of the binding in a build without CUDA kernels: nothing is covered, so every
// request runs on the CPU reference (GPU tensors, if any, take a host round trip).
#include "kernels/torch/cuda_dispatch.h"

namespace qcfg::tensor_ops::detail {

bool cuda_built() { return false; }
bool cuda_device_visible() { return false; }
int cuda_device_count() { return 0; }
bool cuda_fake_quant(const at::Tensor&, at::Tensor&, const numerics::QuantSpec&) { return false; }
bool cuda_hadamard(const at::Tensor&, at::Tensor&, int64_t) { return false; }
bool cuda_rotate_back_fused(const at::Tensor&, at::Tensor&, const numerics::QuantSpec&, int64_t) {
  return false;
}
std::optional<std::pair<at::Tensor, at::Tensor>> cuda_pack_nvfp4(const at::Tensor&, float) {
  return std::nullopt;
}
std::optional<at::Tensor> cuda_pack_scaled(const at::Tensor&, ScaledPack,
                                           const numerics::Granularity&,
                                           const std::vector<float>&) {
  return std::nullopt;
}
std::optional<at::Tensor> cuda_pack_int4(const at::Tensor&, int64_t, const std::vector<float>&) {
  return std::nullopt;
}
std::optional<std::vector<float>> cuda_max_amax(const at::Tensor&, const numerics::Granularity&) {
  return std::nullopt;
}

bool cuda_fold_amax(const at::Tensor&, int64_t, const at::Tensor&) { return false; }

std::shared_ptr<void> cuda_use_pool_stream(int) { return nullptr; }
void cuda_sync_current_stream(int) {}

}  // namespace qcfg::tensor_ops::detail
