// Max calibration (spec §6.1): amax = max |x| over every dim not kept by the granularity.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "kernels/cpu/shape.h"

namespace qcfg::numerics {

// One-shot amax of a tensor; NaN/inf in the result throws std::runtime_error (ModelOpt asserts).
std::vector<float> max_amax(std::span<const float> x, const Shape& shape, const Granularity& g);

// Running calibrator: several tensors collected by one quantizer (shared expert weights, many
// batches) give the elementwise max. A different amax shape throws std::runtime_error
// ("amax shape changed!"); nothing collected => amax() is empty (ModelOpt sets nothing).
class MaxCalibrator {
 public:
  explicit MaxCalibrator(Granularity g) : granularity_(g) {}
  void collect(std::span<const float> x, const Shape& shape);
  // Folds in an amax computed elsewhere (e.g. on a GPU) with the same granularity.
  void merge(std::vector<float> local);
  const std::vector<float>& amax() const { return amax_; }
  bool has_data() const { return !amax_.empty(); }
  void reset() { amax_.clear(); }

 private:
  Granularity granularity_;
  std::vector<float> amax_;
};

}  // namespace qcfg::numerics
