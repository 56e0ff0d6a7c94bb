// LibTorch binding of the qcfg numerics: tensor-level functions the runtime calls. Each function
// takes fp32 / fp16 / bf16 tensors on the CPU or a CUDA device, dispatches to the CUDA kernels
// (on the tensor's device, on the current stream) or to the CPU reference, and returns a tensor
// on the same device with the same dtype. Both paths give bit-identical results.
//
// Bad arguments (wrong dtype, empty tensor, shape not divisible by a block, block size not a power
// of two, amax of the wrong length) throw std::invalid_argument with a message that says what to
// change. Compiles against LibTorch 1.13 (Debian) and 2.x; uses only ATen.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <vector>

#include "kernels/cpu/numerics.h"

namespace qcfg::tensor_ops {

// True when this build has the CUDA kernels and a CUDA device is visible.
bool cuda_available();
// CUDA devices visible to this process (0 without CUDA or in a build without it).
int cuda_device_count();

// Fake quant (quantize + dequantize) of x by spec; amax vectors in spec are host values.
at::Tensor fake_quant(const at::Tensor& x, const numerics::QuantSpec& spec);

// Normalized Hadamard transform along the last dim (block: rotate.block_size, auto when unset).
at::Tensor hadamard(const at::Tensor& x, std::optional<int64_t> block = std::nullopt);

// rotate: Q(H(x)); rotate_back: H(Q(H(x))), each stage rounded to x's dtype (spec §7).
at::Tensor rotate_fake_quant(const at::Tensor& x, const numerics::QuantSpec& spec,
                             const numerics::RotateConfig& rot);

// Max calibration (spec §6.1) of one tensor: the amax entries of granularity g, on the host.
// NaN or inf in the result throws std::runtime_error.
std::vector<float> max_amax(const at::Tensor& x, const numerics::Granularity& g);

// Max calibration of a per-tensor quantizer folded into its running amax where x is:
// acc[index] = max(acc[index], max |x|), in fp32, NaN propagating (an unsigned max of the bits of
// |x|, the CUDA kernel's order; exact, so the value torch.max(x.abs()) gives). acc: contiguous 1-D
// fp32 on x's device, its entries >= +0 or NaN (start at zeros). One CUDA launch, no host sync, no
// temporary (x need not be contiguous: non-overlapping and dense is read as its storage range). An
// empty x changes nothing.
void fold_amax(const at::Tensor& acc, int64_t index, const at::Tensor& x);

// ModelOpt's MSE FP8-scale sweep of a static NVFP4 weight (kernels/cpu/fp8_scale_sweep.h): the
// per-16-block amax, on the host. Runs on the CPU (a CUDA tensor is copied there). `stored_bytes`:
// the element size of the weight as the checkpoint stores it (the kernel's summation order).
std::vector<float> nvfp4_fp8_sweep_amax(const at::Tensor& w, float global_amax,
                                        size_t stored_bytes);

// Joint max calibration: tensors that share one quantizer (grouped weight0..N, fused experts).
// A different amax layout from an earlier tensor throws std::runtime_error ("amax shape changed!").
class JointCalibrator {
 public:
  explicit JointCalibrator(numerics::Granularity g) : granularity_(g), calibrator_(g) {}
  void collect(const at::Tensor& x);  // elementwise max with what was collected before
  const std::vector<float>& amax() const { return calibrator_.amax(); }
  bool has_data() const { return calibrator_.has_data(); }

 private:
  numerics::Granularity granularity_;
  numerics::MaxCalibrator calibrator_;
};

// Real quant (spec §10): packed codes and scales, on w's device, in the export layouts (NVFP4 runs
// on the GPU for CUDA tensors; the other formats pack on the CPU and move the result). E4M3 and
// E8M0 bytes come as uint8 tensors (LibTorch 1.13 has no float8 dtype); the writer labels them.
// Shapes (lead = all dims but the last, cols = last dim):
//   NVFP4  codes [*lead, cols/2], scales [*lead, cols/16] (E4M3)
//   INT4   (2-D only) codes [rows/2, cols], scales [rows, ceil(cols/block)] fp32
//   MXFP4  codes [*lead, cols/2], scales [*lead, cols/32] (E8M0; cols % 32 == 0)
//   MXFP8  codes [*lead, cols] (E4M3), scales [*lead, ceil(cols/32)] (E8M0)
//   FP8 / INT8  codes in w's shape, scales fp32 in the amax layout of g (per tensor: 0-dim)
struct Packed {
  at::Tensor codes;        // uint8 (int8 for INT8)
  at::Tensor scales;       // fp32, or uint8 E4M3 (NVFP4) / E8M0 (MX) bytes
  float global_scale = 1;  // NVFP4 weight_scale_2
};
Packed pack_nvfp4(const at::Tensor& w, float global_amax,
                  int64_t block = 16);  // [rows, cols%16==0]
Packed pack_nvfp4_static(const at::Tensor& w, const std::vector<float>& block_amax,
                         float global_amax, bool four_over_six = false);
Packed pack_int4(const at::Tensor& w, int64_t block, const std::vector<float>& block_amax);
Packed pack_mxfp4(const at::Tensor& w);
Packed pack_mxfp8(const at::Tensor& w);
// `stored`: the checkpoint dtype of w (w itself may be widened): a per-tensor FP8 quotient is
// rounded to it as ModelOpt's is (numerics::QuotientPrecision).
Packed pack_fp8(const at::Tensor& w, const numerics::Granularity& g, const std::vector<float>& amax,
                at::ScalarType stored = at::kFloat);
Packed pack_int8(const at::Tensor& w, const numerics::Granularity& g,
                 const std::vector<float>& amax);

}  // namespace qcfg::tensor_ops
