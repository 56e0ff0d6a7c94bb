// Integer (§2) and FP8 E4M3 (§3) fake quantization.
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cpu/checks.h"
#include "kernels/cpu/fake_quant.h"

namespace qcfg::numerics {

namespace {

void check_int_format(const IntFormat& fmt) {
  if (fmt.num_bits < 2 || fmt.num_bits > 8) {
    throw std::invalid_argument("num_bits must be in 2..8, got " + std::to_string(fmt.num_bits));
  }
  if (fmt.is_unsigned && fmt.narrow_range) {
    // Harmless in ModelOpt (unsigned ignores narrow_range); accepted.
  }
}

void check_amax_values(std::span<const float> amax) {
  for (float a : amax) {
    if (a < 0.0f) throw std::invalid_argument("negative amax " + std::to_string(a));
  }
}

}  // namespace

void int_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                    const IntFormat& fmt, const Granularity& g, std::span<const float> amax) {
  detail::check_buffers(x.size(), y.size(), shape);
  check_int_format(fmt);
  const AmaxLayout layout(shape, g);
  detail::check_amax_count(amax.size(), layout.size(), "int_fake_quant");
  check_amax_values(amax);
  if (fmt.is_unsigned) {
    for (float v : x) {
      if (v < 0.0f)
        throw std::invalid_argument("Negative values encountered in unsigned quantization");
    }
  }
  const IntRange range = int_range(fmt.num_bits, fmt.is_unsigned, fmt.narrow_range);
  std::vector<float> scales(amax.size());
  for (size_t i = 0; i < amax.size(); ++i) scales[i] = range.max_bound / amax[i];
  for (size_t i = 0; i < x.size(); ++i) {
    const int64_t a = layout.index(static_cast<int64_t>(i));
    y[i] = int_amax_is_tiny(amax[a], fmt.tiny_amax) ? int_tiny_output(x[i], fmt.tiny_amax)
                                                    : int_qdq(x[i], scales[a], range);
  }
}

void fp8_fake_quant(std::span<const float> x, std::span<float> y, const Shape& shape,
                    const Granularity& g, std::span<const float> amax) {
  detail::check_buffers(x.size(), y.size(), shape);
  const AmaxLayout layout(shape, g);
  detail::check_amax_count(amax.size(), layout.size(), "fp8_fake_quant");
  check_amax_values(amax);
  std::vector<Fp8Scale> scales(amax.size());
  for (size_t i = 0; i < amax.size(); ++i) scales[i] = fp8_scale(amax[i]);
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = fp8_qdq(x[i], scales[layout.index(static_cast<int64_t>(i))]);
}

}  // namespace qcfg::numerics
