// The calibration methods ModelOpt 0.47 knows (mtq's CalibrateModeRegistry) and what each does to
// the weights: the one table the linter (QC019) and `qcfg ptq` read.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "compiler/value.h"

namespace qcfg {

struct CalibrationMethod {
  std::string_view name;
  // The weights are calibrated with plain max, as qcfg's runtime does: the method only changes
  // how activations are calibrated (or is max itself). GPTQ, MSE, AWQ, SmoothQuant, ... change
  // the weights or their amax.
  bool weights_as_max;
};

std::span<const CalibrationMethod> calibration_methods();
const CalibrationMethod* find_calibration_method(std::string_view name);
std::string calibration_method_list();  // "max, mse, ..." for messages

// The method names an `algorithm` value asks for, each with the value that names it: a string,
// a mapping's `method`, or each item of a list. Items that name none (a mapping without
// `method`, a non-string) are left out; null asks for none.
std::vector<const Value*> algorithm_method_values(const Value& algorithm);

}  // namespace qcfg
