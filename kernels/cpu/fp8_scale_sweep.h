// ModelOpt's MSE weight calibration for static NVFP4 with `fp8_scale_sweep: true` (algorithm
// `mse`): for every 16-element block, the FP8 E4M3 block scale whose NVFP4 fake quant has the
// least squared error. Reproduces ModelOpt 0.47's Triton kernel (`_fp8_scale_sweep_kernel`,
// torch/kernels/quantization/gemm/nvfp4_fp8_sweep.py) bit for bit; docs/numerics.md says how.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace qcfg::numerics {

// The 126 candidates: every finite positive E4M3 value times f32(1/448), ascending.
const std::vector<float>& fp8_scale_candidates();

// Per-block amax (global_amax x best candidate) of `x`, read as consecutive 16-element blocks
// (x.size() must be a multiple of 16). `global_amax` is the weight's max-calibrated global amax;
// `weight_bytes` the size of the weight's own dtype (2 or 4), which decides the kernel's
// summation order.
std::vector<float> nvfp4_fp8_sweep_amax(std::span<const float> x, float global_amax,
                                        size_t weight_bytes);

}  // namespace qcfg::numerics
