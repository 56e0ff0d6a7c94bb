#include "kernels/torch/streams.h"

#include "kernels/torch/cuda_dispatch.h"

namespace qcfg::tensor_ops {

WorkerStream::WorkerStream(const at::Device& device)
    : guard_(device.is_cuda() ? detail::cuda_use_pool_stream(device.index()) : nullptr) {}

void synchronize_current_stream(const at::Device& device) {
  if (device.is_cuda()) detail::cuda_sync_current_stream(device.index());
}

at::Tensor host_staging(at::IntArrayRef shape, at::ScalarType dtype, const at::Device& device) {
  return at::empty(shape, at::TensorOptions().dtype(dtype).pinned_memory(device.is_cuda()));
}

at::Tensor to_host_async(const at::Tensor& x) {
  if (!x.is_cuda()) return x.contiguous();
  at::Tensor host = host_staging(x.sizes(), x.scalar_type(), x.device());
  host.copy_(x, /*non_blocking=*/true);
  return host;
}

}  // namespace qcfg::tensor_ops
