// Compute of one prepared unit with the LibTorch binding (kernels/torch/tensor_ops.h): max
// calibration (jointly over tensors that share a quantizer, per expert for fused experts), then
// fake quant in fp32 cast back to the weight's dtype (ModelOpt's fold_weight), or packing into
// the export layout. Results are host tensors in the order of PreparedUnit::outputs.
#pragma once

#include <ATen/ATen.h>

#include <optional>
#include <string>
#include <vector>

#include "runtime/amax_record.h"
#include "runtime/prepare.h"
#include "runtime/stage_times.h"

namespace qcfg::runtime {

struct UnitResult {
  std::vector<at::Tensor> outputs;  // host, contiguous
  std::vector<AmaxRecord> amax;
};

// A checkpoint tensor as a host tensor over the mapped bytes (no copy; never written to).
at::Tensor view_tensor(const TensorRef& t);

// On a CUDA device the work is queued on the calling thread's current stream (a WorkerStream per
// job) and waited for before returning. Reading is timed as Stage::read when `times` is given.
UnitResult compute_unit(const PreparedUnit& unit, const at::Device& device,
                        StageTimes* times = nullptr);

// A sibling group (a Prepared::work item of several units, export mode): every member calibrated,
// its per-tensor weight amax (NVFP4 global amax) replaced by the group max, then every member
// packed with it. Members are kept on the device between the two passes when their fp32 total
// is at most 1 GiB, else read again. One result per member, in the order given.
std::vector<UnitResult> compute_group(const std::vector<const PreparedUnit*>& units,
                                      const at::Device& device, StageTimes* times = nullptr);

}  // namespace qcfg::runtime
