// The unified Hugging Face checkpoint layout (shared/spec/numerics.md §10.1): the tensors (names,
// dtypes, shapes) a module writes for its `quant_algo` (resolver/export_algo.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "resolver/export_algo.h"
#include "runtime/quant_format.h"
#include "runtime/safetensors_writer.h"

namespace qcfg::runtime {

// The algorithm decision (quant_algo, group size) is resolver/export_algo.h, shared with lint.
using resolver::algo_group_size;
using resolver::algo_name;
using resolver::export_algo;
using resolver::ExportAlgo;
using resolver::CodesShape;
using resolver::ScaleShape;
using resolver::ExportOutputs;

// Max bound that turns an activation amax into input_scale (0: the algo has no input_scale).
float input_scale_bound(ExportAlgo a);

// Scale tensor names: checkpoint::scale_name / input_scale_name (checkpoint/hf_names.h).

// Output tensors of one weight: the packed weight, then its scales. `shape` is [out, in], or
// [E, out, in] for fused experts (per-tensor scales then have one entry per expert). Throws
// std::invalid_argument when the shape does not fit the layout (odd rows for INT4, ...).
std::vector<OutputTensor> export_tensors(ExportAlgo a, const QuantFormat& weight,
                                         const std::string& module, const std::string& param,
                                         const std::vector<int64_t>& shape);

}  // namespace qcfg::runtime
