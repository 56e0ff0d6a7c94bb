// INT4 export, MXFP8, FP8 and INT8 packing (spec §10.1, §10.4, §10.6).
#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/cpu/checks.h"
#include "kernels/cpu/pack.h"
#include "kernels/cpu/scalar_ops.h"
#include "kernels/cpu/storage.h"

namespace qcfg::numerics {

namespace {

constexpr int64_t kMxBlock = 32;

void check_matrix(size_t size, Matrix2D m) {
  if (m.rows <= 0 || m.cols <= 0) throw std::invalid_argument("empty tensor");
  if (static_cast<int64_t>(size) != m.rows * m.cols)
    throw std::invalid_argument("buffer size does not match rows*cols");
}

}  // namespace

Int4Packed pack_int4_export(std::span<const float> w, Matrix2D m, int64_t block,
                            std::span<const float> block_amax) {
  check_matrix(w.size(), m);
  detail::check_positive_block(block, "pack_int4_export");
  if (m.rows % 2 != 0) throw std::invalid_argument("INT4 export packing: out (rows) must be even");
  const int64_t col_blocks = ceil_div(m.cols, block);
  detail::check_amax_count(block_amax.size(), m.rows * col_blocks, "pack_int4_export");
  Int4Packed p;
  p.scales.resize(block_amax.size());
  for (size_t i = 0; i < block_amax.size(); ++i) p.scales[i] = export_scale(block_amax[i], 7.0f);
  p.codes.resize(static_cast<size_t>(m.rows / 2 * m.cols));
  const IntRange r = int_range(4, false, false);
  for (int64_t row = 0; row < m.rows; ++row) {
    for (int64_t c = 0; c < m.cols; ++c) {
      const int8_t q =
          int_export_code(w[row * m.cols + c], p.scales[row * col_blocks + c / block], r);
      const int shift = (row % 2) * 4;
      p.codes[(row / 2) * m.cols + c] |= static_cast<uint8_t>((q & 0xf) << shift);
    }
  }
  return p;
}

void unpack_int4_export(const Int4Packed& p, Matrix2D m, int64_t block, std::span<float> out) {
  check_matrix(out.size(), m);
  const int64_t col_blocks = ceil_div(m.cols, block);
  for (int64_t row = 0; row < m.rows; ++row) {
    for (int64_t c = 0; c < m.cols; ++c) {
      const int nibble = (p.codes[(row / 2) * m.cols + c] >> ((row % 2) * 4)) & 0xf;
      const int q = nibble >= 8 ? nibble - 16 : nibble;
      out[row * m.cols + c] = static_cast<float>(q) * p.scales[row * col_blocks + c / block];
    }
  }
}

MxPacked pack_mxfp8(std::span<const float> x, Matrix2D m) {
  check_matrix(x.size(), m);
  const int64_t col_blocks = ceil_div(m.cols, kMxBlock);
  MxPacked p;
  p.codes.resize(x.size());
  p.scales.resize(static_cast<size_t>(m.rows * col_blocks));
  for (int64_t row = 0; row < m.rows; ++row) {
    for (int64_t b = 0; b < col_blocks; ++b) {
      const int64_t begin = row * m.cols + b * kMxBlock;
      const int64_t len = std::min(kMxBlock, m.cols - b * kMxBlock);
      float bm = 0.0f;
      for (int64_t i = begin; i < begin + len; ++i) bm = fmax_nan_skip(bm, abs_f(x[i]));
      const int k = mx_real_exponent(bm, 448.0f);
      p.scales[row * col_blocks + b] = static_cast<uint8_t>(k + 127);
      const float unit_inv = pow2f(-k);
      for (int64_t i = begin; i < begin + len; ++i) {
        p.codes[i] =
            e4m3_code(clamp_keep_nan(x[i] * unit_inv, -448.0f, 448.0f), Overflow::torch_cast);
      }
    }
  }
  return p;
}

void unpack_mxfp8(const MxPacked& p, Matrix2D m, std::span<float> out) {
  check_matrix(out.size(), m);
  const int64_t col_blocks = ceil_div(m.cols, kMxBlock);
  for (int64_t row = 0; row < m.rows; ++row) {
    for (int64_t c = 0; c < m.cols; ++c) {
      const int k = static_cast<int>(p.scales[row * col_blocks + c / kMxBlock]) - 127;
      out[row * m.cols + c] = e4m3_value(p.codes[row * m.cols + c]) * pow2f(k);
    }
  }
}

Fp8Packed pack_fp8(std::span<const float> x, const Shape& shape, const Granularity& g,
                   std::span<const float> amax, QuotientPrecision quotient) {
  detail::check_buffers(x.size(), x.size(), shape);
  const AmaxLayout layout(shape, g);
  detail::check_amax_count(amax.size(), layout.size(), "pack_fp8");
  Fp8Packed p;
  p.scales.resize(amax.size());
  for (size_t i = 0; i < amax.size(); ++i) p.scales[i] = export_scale(amax[i], 448.0f);
  p.codes.resize(x.size());
  const auto rounded = [quotient](float v) {
    if (quotient == QuotientPrecision::bf16) return round_to<BFloat16>(v);
    if (quotient == QuotientPrecision::f16) return round_to<Half>(v);
    return v;
  };
  for (size_t i = 0; i < x.size(); ++i) {
    const float scale = rounded(p.scales[layout.index(static_cast<int64_t>(i))]);
    p.codes[i] = e4m3_code(rounded(x[i] / scale), Overflow::torch_cast);
  }
  return p;
}

void unpack_fp8(const Fp8Packed& p, const Shape& shape, const Granularity& g,
                std::span<float> out) {
  detail::check_buffers(out.size(), p.codes.size(), shape);
  const AmaxLayout layout(shape, g);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = e4m3_value(p.codes[i]) * p.scales[layout.index(static_cast<int64_t>(i))];
  }
}

Int8Packed pack_int8(std::span<const float> x, const Shape& shape, const Granularity& g,
                     std::span<const float> amax) {
  detail::check_buffers(x.size(), x.size(), shape);
  const AmaxLayout layout(shape, g);
  detail::check_amax_count(amax.size(), layout.size(), "pack_int8");
  Int8Packed p;
  p.scales.resize(amax.size());
  for (size_t i = 0; i < amax.size(); ++i) p.scales[i] = export_scale(amax[i], 127.0f);
  p.codes.resize(x.size());
  const IntRange r = int_range(8, false, false);
  for (size_t i = 0; i < x.size(); ++i) {
    p.codes[i] = int_export_code(x[i], p.scales[layout.index(static_cast<int64_t>(i))], r);
  }
  return p;
}

void unpack_int8(const Int8Packed& p, const Shape& shape, const Granularity& g,
                 std::span<float> out) {
  detail::check_buffers(out.size(), p.codes.size(), shape);
  const AmaxLayout layout(shape, g);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<float>(p.codes[i]) * p.scales[layout.index(static_cast<int64_t>(i))];
  }
}

}  // namespace qcfg::numerics
