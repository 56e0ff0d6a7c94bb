// A C entry point of the per-tensor amax fold (kernels/cuda/amax.cu, amax_fold_per_tensor) for
// calibration's observers (python/qcfg/torch/calibration.py, Observers), called through ctypes.
// torch.ops.qcfg.observe_amax_ does the same through the dispatcher, whose argument parsing and
// boxing cost about as much host time as the kernel launch itself (docs/python.md, "Calibration
// overhead"): calibrating a transformers model is host-bound, so that time is the hooks' cost.
// The caller checks what the op would: a contiguous CUDA tensor of a supported dtype, the fp32
// accumulator entry on the same device; anything else goes through the op.
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cuda/kernels.h"

// dtype: 0 float32, 1 float16, 2 bfloat16. stream: a cudaStream_t of `device` (LibTorch's current
// one). Returns the launch status (a cudaError_t; 0 on success).
extern "C" int qcfg_fold_amax_raw(const void* x, int64_t numel, int dtype, float* acc, int device,
                                  void* stream) {
  using qcfg::cuda::DType;
  if (dtype < 0 || dtype > 2) return cudaErrorInvalidValue;
  const DType types[] = {DType::f32, DType::f16, DType::bf16};
  int current = -1;
  cudaError_t status = cudaGetDevice(&current);
  if (status != cudaSuccess) return status;
  if (current != device && (status = cudaSetDevice(device)) != cudaSuccess) return status;
  status = qcfg::cuda::amax_fold_per_tensor(x, numel, types[dtype], acc,
                                            static_cast<cudaStream_t>(stream));
  if (current != device) cudaSetDevice(current);
  return status;
}
