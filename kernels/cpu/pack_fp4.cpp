// NVFP4 and MXFP4 packing (spec §10.3, §10.5).
#include <cfloat>
#include <stdexcept>
#include <string>

#include "kernels/cpu/checks.h"
#include "kernels/cpu/pack.h"
#include "kernels/cpu/scalar_ops.h"

namespace qcfg::numerics {

namespace {

constexpr int64_t kNvfp4Block = 16;
constexpr int64_t kMxBlock = 32;

void check_matrix(size_t size, Matrix2D m) {
  if (m.rows <= 0 || m.cols <= 0) throw std::invalid_argument("empty tensor");
  if (static_cast<int64_t>(size) != m.rows * m.cols)
    throw std::invalid_argument("buffer size does not match rows*cols");
}

void encode_nvfp4_blocks(std::span<const float> x, Nvfp4Packed& p, int64_t block = kNvfp4Block) {
  for (size_t b = 0; b < p.scales.size(); ++b) {
    const float denom = e4m3_value(p.scales[b]) * p.global_scale;
    for (int64_t j = 0; j < block; j += 2) {
      const size_t i = b * static_cast<size_t>(block) + static_cast<size_t>(j);
      p.codes[i / 2] = static_cast<uint8_t>(nvfp4_pack_nibble(x[i], denom) |
                                            nvfp4_pack_nibble(x[i + 1], denom) << 4);
    }
  }
}

Nvfp4Packed make_nvfp4(std::span<const float> x, Matrix2D m, int64_t block = kNvfp4Block) {
  check_matrix(x.size(), m);
  if (block != 16 && block != 32)
    throw std::invalid_argument("NVFP4 packing: block " + std::to_string(block) + " (16 or 32)");
  if (m.cols % block != 0) {
    throw std::invalid_argument("NVFP4 packing: cols " + std::to_string(m.cols) +
                                " not a multiple of " + std::to_string(block));
  }
  Nvfp4Packed p;
  p.codes.resize(x.size() / 2);
  p.scales.resize(x.size() / static_cast<size_t>(block));
  return p;
}

float block_abs_max(std::span<const float> x, size_t begin, size_t len) {
  float bm = 0.0f;
  for (size_t i = begin; i < begin + len; ++i) bm = fmax_nan_skip(bm, abs_f(x[i]));
  return bm;
}

float e2m1_signed(uint32_t nibble) {
  const float mag = e2m1_magnitude(nibble & 7u);
  return (nibble & 8u) ? neg_f(mag) : mag;
}

}  // namespace

float export_amax(float amax, float maxbound) {
  float a = (amax == 0.0f || is_nan(amax)) ? maxbound : amax;
  return clamp_keep_nan(a, FLT_MIN, FLT_MAX);
}

float export_scale(float amax, float maxbound) {
  return times_reciprocal(export_amax(amax, maxbound), maxbound);
}

Nvfp4Packed pack_nvfp4_dynamic(std::span<const float> x, Matrix2D m, float global_amax,
                               int64_t block) {
  Nvfp4Packed p = make_nvfp4(x, m, block);
  p.global_scale = nvfp4_weight_scale_2(global_amax);
  const float denom = 6.0f * p.global_scale;
  const auto len = static_cast<size_t>(block);
  for (size_t b = 0; b < p.scales.size(); ++b) {
    const float bm = block_abs_max(x, b * len, len);
    p.scales[b] = nvfp4_pack_scale_code(nvfp4_pack_dynamic_ratio(bm, denom));
  }
  encode_nvfp4_blocks(x, p, block);
  return p;
}

Nvfp4Packed pack_nvfp4_static(std::span<const float> x, Matrix2D m,
                              std::span<const float> block_amax, float global_amax,
                              bool four_over_six) {
  Nvfp4Packed p = make_nvfp4(x, m);
  detail::check_amax_count(block_amax.size(), static_cast<int64_t>(p.scales.size()),
                           "pack_nvfp4_static");
  const float norm = four_over_six ? 256.0f : 448.0f;
  p.global_scale = times_reciprocal(global_amax, 6.0f * norm);
  const float per_block_max = global_amax / 6.0f;
  for (size_t b = 0; b < p.scales.size(); ++b) {
    float pbs = block_amax[b] / 6.0f;
    if (pbs == 0.0f) pbs = 1.0f;  // quirk §12.29: applied before renormalising
    pbs = (pbs * norm) / per_block_max;
    p.scales[b] = nvfp4_pack_scale_code(pbs);
  }
  encode_nvfp4_blocks(x, p);
  return p;
}

void unpack_nvfp4(const Nvfp4Packed& p, Matrix2D m, std::span<float> out) {
  check_matrix(out.size(), m);
  for (size_t i = 0; i < out.size(); ++i) {
    const float s = e4m3_value(p.scales[i / kNvfp4Block]) * p.global_scale;
    const uint32_t nibble = (p.codes[i / 2] >> (4 * (i % 2))) & 0xfu;
    out[i] = e2m1_signed(nibble) * s;
  }
}

MxPacked pack_mxfp4(std::span<const float> x) {
  if (x.empty() || x.size() % kMxBlock != 0) {
    throw std::invalid_argument("MXFP4 packing: numel must be a positive multiple of 32");
  }
  MxPacked p;
  p.codes.resize(x.size() / 2);
  p.scales.resize(x.size() / kMxBlock);
  for (size_t b = 0; b < p.scales.size(); ++b) {
    const int k = mx_real_exponent(block_abs_max(x, b * kMxBlock, kMxBlock), 6.0f);
    p.scales[b] = static_cast<uint8_t>(k + 127);
    const float unit = pow2f(k);
    for (size_t j = 0; j < kMxBlock; ++j) {
      const size_t i = b * kMxBlock + j;
      const float v = x[i] / unit;
      const uint32_t nibble =
          (v > 0.0f ? 0u : 8u) | e2m1_index_ties_down(abs_f(v));  // +0 => 0x8 (§12.9)
      p.codes[i / 2] |= static_cast<uint8_t>(nibble << (4 * (i % 2)));
    }
  }
  return p;
}

void unpack_mxfp4(const MxPacked& p, std::span<float> out) {
  if (out.size() != p.codes.size() * 2) throw std::invalid_argument("unpack_mxfp4: size mismatch");
  for (size_t i = 0; i < out.size(); ++i) {
    const uint32_t nibble = (p.codes[i / 2] >> (4 * (i % 2))) & 0xfu;
    out[i] = e2m1_signed(nibble) * pow2f(static_cast<int>(p.scales[i / kMxBlock]) - 127);
  }
}

}  // namespace qcfg::numerics
