// Fake quantization (quantize + dequantize) on contiguous fp32 buffers. Inputs of other storage
// types go through quant_spec.h, which converts to fp32 exactly and rounds the result once.
// In-place use (x and y the same buffer) is allowed. Bad arguments throw std::invalid_argument.
#pragma once

#include <span>

#include "kernels/cpu/scalar_ops.h"
#include "kernels/cpu/shape.h"

namespace qcfg::numerics {

struct IntFormat {
  int num_bits = 8;  // 2..8
  bool is_unsigned = false;
  bool narrow_range = false;  // config default (the low-level kernels default to true)
  TinyAmaxRule tiny_amax = TinyAmaxRule::python_le;
};

// Spec §2. amax has AmaxLayout(shape, g).size() entries. Negative amax, or a negative input with
// an unsigned format, throws.
void int_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                    const IntFormat& fmt, const Granularity& g, std::span<const float> amax);

// Spec §3 (E4M3, satfinite). amax <= 2^-24 is treated as 1.0.
void fp8_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                    const Granularity& g, std::span<const float> amax);

enum class Nvfp4Path : uint8_t {
  triton,         // canonical (capability >= 8.9)
  cuda_extension  // older GPUs: fp32/double arithmetic of fused_amax_convert
};

// Spec §4.2: dynamic blocks along the last dim (default 16; the Triton path always uses 16 in
// ModelOpt, see §12.1 — the caller decides), E4M3 block scales, global amax G.
void nvfp4_dynamic_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                              float global_amax, int64_t block = 16,
                              Nvfp4Path path = Nvfp4Path::triton);

// Spec §5.2/§5.3: static two-level scales from per-block amax (rows * ceil(K/16) entries) and the
// global amax; four_over_six normalises block scales to 256 instead of 448.
void nvfp4_static_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                             std::span<const float> block_amax, float global_amax,
                             bool four_over_six = false, int64_t block = 16);

// Spec §4.1: MX dynamic blocks with an E8M0 shared exponent; block 8, 16 or 32.
void mx_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                   MxElement element, int64_t block = 32);

// Exponent k of every MX block (rows * ceil(K/block) entries), fake-quant rule.
std::vector<int> mx_block_exponents(std::span<const float> x, const Shape& shape, MxElement element,
                                    int64_t block = 32);

}  // namespace qcfg::numerics
