// What calibration found for one quantizer stage, as the amax report (runtime/amax_report.h) and
// the export config writers read it. Torch-free, so those stay below the LibTorch line.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace qcfg::runtime {

// The calibrated amax of one quantizer stage.
struct AmaxRecord {
  std::string quantizer;
  size_t stage = 0;
  std::string granularity;    // "per-tensor", "per-axis 0", "block 16", "none (dynamic MX)"
  std::vector<float> values;  // what export packed with (a unified per-tensor amax: the group max)
  // Export, sibling groups (shared/spec/numerics.md §6.5): the quantizers unified with, the
  // quantizer's own calibrated per-tensor (static NVFP4: global) amax, and for static NVFP4 the
  // global amax used.
  std::vector<std::string> unified_with;
  std::optional<float> calibrated;
  std::optional<float> global_amax;
};

}  // namespace qcfg::runtime
