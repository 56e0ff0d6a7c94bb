// What `qcfg apply --mode export_hf` would write for a resolved config (resolver/export_algo.h,
// the table the runtime uses): per linear module its quant_algo and group size, the modules left
// unquantized, the KV cache algorithm, the top-level quant_algo and the exclude_modules list.
// The serving-engine rules compare this with what each engine loads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "resolver/resolve.h"

namespace qcfg::lint {

struct ExportedModule {
  std::string module;      // "model.layers.0.mlp.down_proj"
  std::string algo;        // "NVFP4"
  int64_t group_size = 0;  // 0: none
  int32_t entry = -1;      // the entry whose cfg gave the weight quantizer its format
};

struct ExportPrediction {
  std::vector<ExportedModule> quantized;
  std::vector<std::string> unquantized;    // modules with a weight and their weight quantizer off
  std::vector<int32_t> unquantized_entry;  // the entry that disabled it (-1: never enabled)
  std::string kv_algo;                     // empty: none
  int32_t kv_entry = -1;
  bool mixed_precision = false;
  std::string quant_algo;  // top level: the one algo or MIXED_PRECISION; empty: none
  std::vector<std::string> exclude_modules;  // written when not mixed precision
};

// Modules without an export layout (formats the runtime refuses to export) are left out. A
// checkpoint gives the modules from its tensors (also fused experts, and the MoE routers it
// replaces); a JSON inventory without tensors from its weight quantizers' names.
ExportPrediction predict_export(const resolver::Resolution& r);

}  // namespace qcfg::lint
