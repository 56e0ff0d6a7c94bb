// The run report written next to the output tensors (qcfg_runtime.json): every calibrated amax
// by quantizer and stage, the activation quantizers left uncalibrated, and the modules whose
// inputs must be rotated. In export mode, amaxes unified across sibling linears
// (shared/spec/numerics.md §6.5) give the value export used, the quantizer's own (`calibrated_amax`
// / `given_amax`) and `unified_with`. Per-channel and per-block amax vectors above 4096 entries are
// summarised (count, min, max) to keep the report small for large models.
#pragma once

#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "runtime/amax_record.h"
#include "runtime/plan_reader.h"
#include "runtime/prepare.h"

namespace qcfg::runtime {

class AmaxReport {
 public:
  void add(std::vector<AmaxRecord> records);  // thread-safe
  nlohmann::ordered_json json(const Plan& plan, const Prepared& p, const std::string& device) const;

 private:
  mutable std::mutex mutex_;
  std::vector<AmaxRecord> records_;
};

}  // namespace qcfg::runtime
