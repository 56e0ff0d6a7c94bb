#include "kernels/cpu/calibrate.h"

#include <stdexcept>

#include "kernels/cpu/checks.h"
#include "kernels/cpu/hd.h"

namespace qcfg::numerics {

std::vector<float> max_amax(std::span<const float> x, const Shape& shape, const Granularity& g) {
  detail::check_buffers(x.size(), x.size(), shape);
  const AmaxLayout layout(shape, g);
  std::vector<float> amax(static_cast<size_t>(layout.size()), 0.0f);
  for (size_t i = 0; i < x.size(); ++i) {
    float& a = amax[layout.index(static_cast<int64_t>(i))];
    const float v = abs_f(x[i]);
    // NaN propagates (torch.max), so the finiteness check below catches it.
    if (is_nan(v) || v > a) a = is_nan(a) ? a : v;
  }
  for (float a : amax) {
    if (!is_finite(a)) throw std::runtime_error("max calibration: amax is NaN or inf");
  }
  return amax;
}

void MaxCalibrator::collect(std::span<const float> x, const Shape& shape) {
  merge(max_amax(x, shape, granularity_));
}

void MaxCalibrator::merge(std::vector<float> local) {
  if (amax_.empty()) {
    amax_ = std::move(local);
    return;
  }
  if (local.size() != amax_.size()) throw std::runtime_error("amax shape changed!");
  for (size_t i = 0; i < local.size(); ++i) amax_[i] = local[i] > amax_[i] ? local[i] : amax_[i];
}

}  // namespace qcfg::numerics
