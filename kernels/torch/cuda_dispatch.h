// Internal: the CUDA half of the binding. Each function returns false when the CUDA kernels do not
// cover the request (the caller then runs the CPU reference on a host copy, which gives the same
// bits), and throws for bad arguments or a failed launch. Without CUDA support in this build every
// function returns false and cuda_built() is false.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "kernels/cpu/numerics.h"

namespace qcfg::tensor_ops::detail {

bool cuda_built();
bool cuda_device_visible();
int cuda_device_count();

// out: same shape/dtype/device as x (contiguous).
bool cuda_fake_quant(const at::Tensor& x, at::Tensor& out, const numerics::QuantSpec& spec);
bool cuda_hadamard(const at::Tensor& x, at::Tensor& out, int64_t block);
// H(Q(H(x))) in one pass; only for dynamic NVFP4 (block 16) with rotation block 16..128.
bool cuda_rotate_back_fused(const at::Tensor& x, at::Tensor& out, const numerics::QuantSpec& spec,
                            int64_t block);
// Per-tensor and 16-wide block amax on the device; the host copy of the result.
// NVFP4 packing on the device: {codes, scales} on x's device (x contiguous, cols % 16 == 0).
std::optional<std::pair<at::Tensor, at::Tensor>> cuda_pack_nvfp4(const at::Tensor& x,
                                                                 float global_amax);
// FP8 / INT8 / INT4 packing on the device (x contiguous) with export scales the caller computed
// (host values, already checked against the amax layout): the codes on x's device.
enum class ScaledPack { fp8, int8 };
std::optional<at::Tensor> cuda_pack_scaled(const at::Tensor& x, ScaledPack kind,
                                           const numerics::Granularity& g,
                                           const std::vector<float>& scales);
std::optional<at::Tensor> cuda_pack_int4(const at::Tensor& x, int64_t block,
                                         const std::vector<float>& scales);
std::optional<std::vector<float>> cuda_max_amax(const at::Tensor& x,
                                                const numerics::Granularity& g);
// acc[index] = max(acc[index], max |x|) on x's device and current stream, no host sync; x dense
// (any order of its elements: the reduction reads its storage range), acc contiguous fp32 there.
bool cuda_fold_amax(const at::Tensor& acc, int64_t index, const at::Tensor& x);

// A stream from LibTorch's pool made current for this thread on the device until the handle is
// released (on the same thread); nullptr without CUDA. Index -1: the current device.
std::shared_ptr<void> cuda_use_pool_stream(int device_index);
// Waits for the work queued on this thread's current stream of the device.
void cuda_sync_current_stream(int device_index);

}  // namespace qcfg::tensor_ops::detail
