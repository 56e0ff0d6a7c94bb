// Host launchers of the qcfg CUDA numerics kernels. Raw device pointers, element counts, a dtype
// tag and a stream; no LibTorch. Every kernel is bit-exact to the CPU reference in kernels/cpu
// (they share kernels/cpu/scalar_ops.h and hadamard_core.h; the library is built with
// -fmad=false). Launchers return cudaErrorInvalidValue for bad arguments, else the launch status.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/cpu/scalar_ops.h"

namespace qcfg::cuda {

using numerics::MxElement;
using numerics::TinyAmaxRule;

enum class DType : uint8_t { f32, f16, bf16 };

// Which generation of the fake-quant launch layouts runs (issue 14): 5 (the default: v4's
// choices plus the v5 layouts, e.g. INT blocks with one parameter set per thread and block), 4
// (each kernel's faster layout as measured on the H200 on 2026-12-03: MX with several lanes per
// block and warp-shuffle maxima, per-channel INT / FP8 in coalesced tiles with the scale
// parameters cached per amax entry, v3 for the rest) or 3 (the v3 layouts everywhere). The older
// ones stay so that one GPU session can time all of them in one build: bench_kernels --variant
// 3|4, or QCFG_KERNELS_VARIANT=3|4 in the environment. All give identical bits (the same shared
// per-element and per-block functions; tests/kernels/gpu runs every one). set_kernel_variant
// accepts 3, 4 or 5 and returns false for anything else.
int kernel_variant();
bool set_kernel_variant(int variant);

// Which amax entry governs element i of a contiguous tensor (mirrors numerics::AmaxLayout for
// per tensor, per axis, and 1-D blocks along the last dim).
struct AmaxIndexing {
  enum class Kind : uint8_t { tensor, axis, block } kind = Kind::tensor;
  int64_t stride = 1;  // axis: stride of the axis
  int64_t size = 1;    // axis: size of the axis
  int64_t cols = 1;    // block: last dim
  int64_t block = 1;   // block: block size along the last dim

  QCFG_HD int64_t index(int64_t i) const {
    if (kind == Kind::tensor) return 0;
    if (kind == Kind::axis) return (i / stride) % size;
    const int64_t col_blocks = (cols + block - 1) / block;
    return (i / cols) * col_blocks + (i % cols) / block;
  }
  static AmaxIndexing per_tensor() { return {}; }
  static AmaxIndexing per_axis(int64_t stride, int64_t size) {
    return {Kind::axis, stride, size, 1, 1};
  }
  static AmaxIndexing per_block(int64_t cols, int64_t block) {
    return {Kind::block, 1, 1, cols, block};
  }
};

struct IntQuantParams {
  int num_bits = 8;  // 2..8
  bool is_unsigned = false;
  bool narrow_range = false;
  TinyAmaxRule tiny_amax = TinyAmaxRule::python_le;
};

// ---- fake quant (x may equal y) -------------------------------------------------------------
cudaError_t int_fake_quant(const void* x, void* y, int64_t numel, DType dtype, const float* amax,
                           AmaxIndexing indexing, IntQuantParams params, cudaStream_t stream);
cudaError_t fp8_fake_quant(const void* x, void* y, int64_t numel, DType dtype, const float* amax,
                           AmaxIndexing indexing, cudaStream_t stream);
// Dynamic NVFP4, canonical (Triton) arithmetic, 16-wide blocks along cols (partial last block
// allowed); global_amax: one device fp32.
cudaError_t nvfp4_fake_quant(const void* x, void* y, int64_t rows, int64_t cols, DType dtype,
                             const float* global_amax, cudaStream_t stream);
// MX with E8M0 shared exponent; block 8, 16 or 32 along cols.
cudaError_t mx_fake_quant(const void* x, void* y, int64_t rows, int64_t cols, DType dtype,
                          MxElement element, int block, cudaStream_t stream);

// ---- fused amax reductions (max |x|; NaN propagates like torch.max) --------------------------
// amax_out: one device fp32 (overwritten).
cudaError_t amax_per_tensor(const void* x, int64_t numel, DType dtype, float* amax_out,
                            cudaStream_t stream);
// acc = max(acc, max |x|) on one device fp32 that already holds a non-negative value (or NaN):
// the running amax of max calibration folded in the same launch, no memset, no host sync.
cudaError_t amax_fold_per_tensor(const void* x, int64_t numel, DType dtype, float* acc,
                                 cudaStream_t stream);
// amax_out: rows * ceil(cols/16) fp32.
cudaError_t amax_per_block16(const void* x, int64_t rows, int64_t cols, DType dtype,
                             float* amax_out, cudaStream_t stream);

// ---- Hadamard --------------------------------------------------------------------------------
// Normalized Hadamard on consecutive blocks of `block` (power of two, 2..32768, dividing cols).
cudaError_t hadamard(const void* x, void* y, int64_t rows, int64_t cols, DType dtype, int64_t block,
                     cudaStream_t stream);
// Single pass H(Q(H(x))) with Q = dynamic NVFP4 (16-wide), each stage rounded to dtype, for
// block 16, 32, 64 or 128 (cols a multiple of block).
cudaError_t rotate_nvfp4_rotate_back(const void* x, void* y, int64_t rows, int64_t cols,
                                     DType dtype, int64_t block, const float* global_amax,
                                     cudaStream_t stream);

// ---- real-quant packing -----------------------------------------------------------------------
// NVFP4 export (spec §10.3): codes [rows, cols/2] (even element in the low nibble; 8-byte
// aligned), E4M3 scales [rows, cols/16]; cols a multiple of 16; global_amax: one device fp32
// (weight_scale_2 = global_amax / 2688 is computed by the caller).
cudaError_t pack_nvfp4(const void* x, uint8_t* codes, uint8_t* scales, int64_t rows, int64_t cols,
                       DType dtype, const float* global_amax, cudaStream_t stream);
// FP8 / INT8 export (§10.1, §10.2): codes[i] = code(x[i] / scales[indexing.index(i)]) (E4M3 with
// the torch cast's overflow, or int8 bytes); scales: device fp32 export scales in the amax layout.
cudaError_t pack_fp8(const void* x, uint8_t* codes, int64_t numel, DType dtype, const float* scales,
                     AmaxIndexing indexing, cudaStream_t stream);
cudaError_t pack_int8(const void* x, uint8_t* codes, int64_t numel, DType dtype,
                      const float* scales, AmaxIndexing indexing, cudaStream_t stream);
// INT4 export (§10.4): codes [rows/2, cols], rows even; scales [rows, ceil(cols/block)].
cudaError_t pack_int4(const void* x, uint8_t* codes, int64_t rows, int64_t cols, DType dtype,
                      const float* scales, int64_t block, cudaStream_t stream);

}  // namespace qcfg::cuda
