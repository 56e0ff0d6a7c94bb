// `qcfg apply`: a compiled plan applied to a safetensors checkpoint, streamed tensor by tensor.
// Order: open and bind (plan <-> checkpoint), prepare and check everything, and only then write
// into a temporary directory next to the output, renamed into place when complete. A failed
// check or any error writes nothing (the temporary directory is removed); the input is only
// read.
#pragma once

#include <map>
#include <stdexcept>
#include <string>

#include "compiler/diagnostic.h"
#include "runtime/plan_reader.h"
#include "runtime/prepare.h"

namespace qcfg::runtime {

// A problem outside the plan (paths, checkpoint, I/O); the message names the file.
class ApplyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ApplyOptions {
  std::string model_dir;
  std::string out_dir;
  Mode mode = Mode::fake;
  std::string device = "auto";  // auto | cuda | cpu
  std::string devices;          // --devices (runtime/devices.h); non-empty: overrides device
  int jobs = 2;                 // units in flight per device (read, compute and write overlap)
  bool sync = true;             // output flushed to disk (fsync) before it is renamed into place
  std::map<std::string, float> act_amax;
  std::string act_amax_file;  // where act_amax came from (messages)
  // How MoE experts are named (checkpoint/expert_layout.h); must match the plan's compile.
  checkpoint::ExpertLayout expert_layout = checkpoint::ExpertLayout::automatic;
  bool progress = true;
  WeightCalibration weights = WeightCalibration::max;  // --weight-calibration
  std::map<std::string, GivenWeightAmax> weight_amax;  // --weight-amax
  std::string weight_amax_file;
};

struct ApplySummary {
  size_t units = 0, quantized_units = 0;
  uint64_t bytes_read = 0, bytes_written = 0;
  double seconds = 0;
  std::string device;
  // Stage times summed over jobs (they overlap): reading into staging (GPU runs; the CPU reads the
  // mapping during compute), compute with its copies, writing outputs, flushing files to disk.
  double read_seconds = 0, compute_seconds = 0, write_seconds = 0, flush_seconds = 0;
};

// Returns false when a check failed (diagnostics in `diags`, nothing written). Throws
// ApplyError for I/O and checkpoint problems.
bool apply_plan(const Plan& plan, const ApplyOptions& options, Diagnostics& diags,
                ApplySummary* summary = nullptr);

// Jobs when the user gives none: half the hardware threads, from 2 to 8 (on the GPU machine 6 to 8
// jobs saturate the disk; more only add contention, docs/runtime.md#benchmark).
int default_jobs();

// --act-amax FILE: {"<quantizer name>": amax, ...}. Throws ApplyError naming the file.
std::map<std::string, float> read_act_amax(const std::string& path);

// --weight-amax FILE: {"<weight quantizer name>": {"amax": [...], "global_amax": g}, ...}
// ("global_amax" optional). Throws ApplyError naming the file.
std::map<std::string, GivenWeightAmax> read_weight_amax(const std::string& path);

}  // namespace qcfg::runtime
