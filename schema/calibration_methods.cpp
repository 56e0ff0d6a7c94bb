#include "schema/calibration_methods.h"

#include <array>
#include <string>

namespace qcfg {
namespace {

constexpr std::array<CalibrationMethod, 11> kMethods = {{{"max", true},
                                                         {"mse", false},
                                                         {"local_hessian", false},
                                                         {"smoothquant", false},
                                                         {"awq_lite", false},
                                                         {"awq_clip", false},
                                                         {"awq_full", false},
                                                         {"svdquant", false},
                                                         {"gptq", false},
                                                         {"nvfp4_act_headroom", true},
                                                         {"lsq", false}}};

void collect(const Value& a, std::vector<const Value*>& out) {
  if (a.is_string()) {
    out.push_back(&a);
  } else if (a.is_map()) {
    if (const Value* m = a.find("method"); m != nullptr && m->is_string()) out.push_back(m);
  }
}

}  // namespace

std::span<const CalibrationMethod> calibration_methods() { return kMethods; }

const CalibrationMethod* find_calibration_method(std::string_view name) {
  for (const CalibrationMethod& m : kMethods)
    if (m.name == name) return &m;
  return nullptr;
}

std::string calibration_method_list() {
  std::string out;
  for (const CalibrationMethod& m : kMethods)
    out += (out.empty() ? "" : ", ") + std::string(m.name);
  return out;
}

std::vector<const Value*> algorithm_method_values(const Value& algorithm) {
  std::vector<const Value*> out;
  if (algorithm.is_list()) {
    for (const Value& item : algorithm.items()) collect(item, out);
  } else {
    collect(algorithm, out);
  }
  return out;
}

}  // namespace qcfg
