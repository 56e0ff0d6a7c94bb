#include "runtime/amax_report.h"

#include <algorithm>

#include "runtime/hf_config.h"
#include "runtime/output_files.h"

namespace qcfg::runtime {
namespace {

constexpr size_t kFullValues = 4096;

OrderedJson record_json(const AmaxRecord& r) {
  OrderedJson j = {{"stage", r.stage}, {"granularity", r.granularity}};
  if (r.values.size() == 1) {
    j["amax"] = r.values[0];
  } else if (r.values.size() <= kFullValues) {
    j["amax"] = r.values;
  } else {
    const auto [lo, hi] = std::minmax_element(r.values.begin(), r.values.end());
    j["count"] = r.values.size();
    j["min"] = *lo;
    j["max"] = *hi;
  }
  if (!r.unified_with.empty()) {  // export-time sibling unification (shared/spec/numerics.md §6.5)
    if (r.global_amax) j["global_amax"] = *r.global_amax;
    if (r.calibrated) j["calibrated_amax"] = *r.calibrated;
    j["unified_with"] = r.unified_with;
  }
  return j;
}

// --act-amax values replaced by their sibling group's max in export (input_scale uses `amax`).
OrderedJson unified_inputs(const Prepared& p) {
  OrderedJson j = OrderedJson::object();
  for (const UnifiedInput& u : p.unified_inputs)
    j[u.quantizer] = {{"amax", u.used}, {"given_amax", u.given}, {"unified_with", u.unified_with}};
  return j;
}

}  // namespace

void AmaxReport::add(std::vector<AmaxRecord> records) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (AmaxRecord& r : records) records_.push_back(std::move(r));
}

OrderedJson AmaxReport::json(const Plan& plan, const Prepared& p, const std::string& device) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<const AmaxRecord*> sorted;
  for (const AmaxRecord& r : records_) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(), [](const AmaxRecord* a, const AmaxRecord* b) {
    return a->quantizer != b->quantizer ? a->quantizer < b->quantizer : a->stage < b->stage;
  });
  OrderedJson amax = OrderedJson::object();
  for (const AmaxRecord* r : sorted) amax[r->quantizer].push_back(record_json(*r));
  return {{"producer", "qcfg"},
          {"plan", plan.origin},
          {"mode", p.mode == Mode::fake ? "fake" : "export"},
          {"device", device},
          {"weight_amax", amax},
          {"activations_needing_calibration", p.calibration_needed},
          {"activations_from_act_amax", p.calibration_given},
          {"unified_input_amax", unified_inputs(p)},
          {"rotated_input_modules", p.rotated_inputs}};
}

}  // namespace qcfg::runtime
