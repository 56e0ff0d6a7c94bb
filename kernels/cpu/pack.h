// Real quantization: packed codes + scales in the unified-HF-export layouts of spec §10.
// Matrices are row-major [rows, cols] (cols = in-features, the last dim).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/cpu/minifloat.h"
#include "kernels/cpu/shape.h"

namespace qcfg::numerics {

// export_amax (§10.1): amax 0 or NaN => maxbound (scale 1), then clamp to [FLT_MIN, FLT_MAX].
float export_amax(float amax, float maxbound);
// The exported scale: export_amax(amax, maxbound) x f32(1/maxbound), as ModelOpt 0.47 computes it
// (times_reciprocal, scalar_ops.h).
float export_scale(float amax, float maxbound);

// ---------------------------------------------------------------- NVFP4 (§10.3)
struct Nvfp4Packed {
  std::vector<uint8_t> codes;   // [rows, cols/2], even element in the low nibble
  std::vector<uint8_t> scales;  // [rows, cols/16] E4M3 (weight_scale)
  float global_scale = 1.0f;    // weight_scale_2 = G / (6*N)
};
// cols must be a multiple of `block` (16, or 32 as ModelOpt's nvfp4_bs32 exports; scales are
// then [rows, cols/32]).
Nvfp4Packed pack_nvfp4_dynamic(std::span<const float> x, Matrix2D m, float global_amax,
                               int64_t block = 16);
Nvfp4Packed pack_nvfp4_static(std::span<const float> x, Matrix2D m,
                              std::span<const float> block_amax, float global_amax,
                              bool four_over_six = false);
void unpack_nvfp4(const Nvfp4Packed& p, Matrix2D m, std::span<float> out);

// ---------------------------------------------------------------- INT4 export (§10.4)
struct Int4Packed {
  std::vector<uint8_t> codes;  // [rows/2, cols]: byte = q[2r] & 0xF | (q[2r+1] & 0xF) << 4
  std::vector<float> scales;   // [rows, ceil(cols/block)] = export_amax(a_b, 7) / 7
};
// rows must be even; block_amax has rows * ceil(cols/block) entries.
Int4Packed pack_int4_export(std::span<const float> w, Matrix2D m, int64_t block,
                            std::span<const float> block_amax);
void unpack_int4_export(const Int4Packed& p, Matrix2D m, int64_t block, std::span<float> out);

// ---------------------------------------------------------------- MX (§10.5, §10.6)
struct MxPacked {
  std::vector<uint8_t>
      codes;  // MXFP4: numel/2 nibble pairs (even low); MXFP8: one E4M3 per element
  std::vector<uint8_t> scales;  // E8M0 bytes (k + 127), one per block of 32
};
// MXFP4: blocks cut from the flat tensor viewed as (-1, 32): numel must be a multiple of 32.
MxPacked pack_mxfp4(std::span<const float> x);
void unpack_mxfp4(const MxPacked& p, std::span<float> out);
// MXFP8: per row, blocks of 32 along cols (the last block zero-padded); codes [rows, cols],
// scales [rows, ceil(cols/32)].
MxPacked pack_mxfp8(std::span<const float> x, Matrix2D m);
void unpack_mxfp8(const MxPacked& p, Matrix2D m, std::span<float> out);

// ---------------------------------------------------------------- FP8 / INT8 (§10.1)
// The precision of ModelOpt's `weight / weight_scale` before the E4M3 cast. With a 0-d (per-tensor)
// scale the quotient keeps the weight's dtype, since a 0-d tensor takes no part in type promotion:
// the scale is rounded to that dtype, the quotient computed in fp32 and rounded to it again
// (docs/numerics.md, ModelOpt 0.47 behaviours). A scale with dimensions gives fp32.
enum class QuotientPrecision { f32, bf16, f16 };

struct Fp8Packed {
  std::vector<uint8_t> codes;  // E4M3 = torch cast(x / scale), no clamp (|x/scale| > 464 => NaN)
  std::vector<float> scales;   // export_amax(a, 448) / 448 per amax entry
};
Fp8Packed pack_fp8(std::span<const float> x, const Shape& shape, const Granularity& g,
                   std::span<const float> amax,
                   QuotientPrecision quotient = QuotientPrecision::f32);
void unpack_fp8(const Fp8Packed& p, const Shape& shape, const Granularity& g, std::span<float> out);

struct Int8Packed {
  std::vector<int8_t> codes;  // clamp(rint(x / scale), -128, 127)
  std::vector<float> scales;  // export_amax(a, 127) / 127
};
Int8Packed pack_int8(std::span<const float> x, const Shape& shape, const Granularity& g,
                     std::span<const float> amax);
void unpack_int8(const Int8Packed& p, const Shape& shape, const Granularity& g,
                 std::span<float> out);

}  // namespace qcfg::numerics
