// Everything decided before a byte is written: the format of every quantizer that touches a
// weight, the checks that the plan fits the checkpoint (shapes, blocks, axis, rotation, export
// layouts), and the complete list of output tensors per unit. A failed check leaves `diags` with
// errors located at the quantizer's record in the plan, and the caller writes nothing.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "runtime/binding.h"
#include "runtime/export_format.h"
#include "runtime/quant_format.h"
#include "runtime/safetensors_writer.h"

namespace qcfg::runtime {

enum class Mode { fake, export_hf };

// --weight-amax: a weight quantizer's first-stage amax given by the caller instead of max
// calibration on the checkpoint, in the layout calibration has (per block for static NVFP4).
// qcfg.torch's GPTQ writes it: GPTQ changes the weights after ModelOpt calibrated them, and
// ModelOpt exports the new weights with the amax of the old ones (docs/numerics.md, "GPTQ").
struct GivenWeightAmax {
  std::vector<float> amax;
  std::optional<float> global_amax;  // NVFP4 static: the (sibling-shared) global amax
};

// One quantizer over a set of tensors (or one expert's slice).
struct QuantSlot {
  const PlanQuantizer* quantizer = nullptr;
  std::vector<QuantFormat> stages;         // enabled stages in order; empty: weights left unchanged
  const GivenWeightAmax* given = nullptr;  // replaces stage 0's calibration
  bool quantizes() const { return !stages.empty(); }
};

struct PreparedUnit {
  const WorkUnit* unit = nullptr;
  std::vector<QuantSlot> slots;    // shared: one; fused: one per expert; copy: none
  std::optional<ExportAlgo> algo;  // export mode, quantized units
  std::vector<OutputTensor> outputs;
  std::string shard;  // output shard file name
  // Export: the weight quantizers of the sibling linears this unit's per-tensor weight amax is
  // unified with (shared/spec/numerics.md §6.5); empty when it keeps its own.
  std::vector<std::string> unified_with;

  bool quantizes() const;
};

// A 0-d fp32 tensor known before compute (input_scale from --act-amax, KV k/v scales).
struct ScalarOutput {
  std::string name;
  float value = 0;
  std::string shard;
};

// Export: an input amax given with --act-amax and replaced by its sibling group's max (§6.5).
struct UnifiedInput {
  std::string quantizer;
  float given = 0;  // the --act-amax value
  float used = 0;   // the group max that input_scale is computed from
  std::vector<std::string> unified_with;
};

struct ModuleExportInfo {
  std::string algo;
  int64_t group_size = 0;
};

struct Prepared {
  Mode mode = Mode::fake;
  std::vector<PreparedUnit> units;
  // Indices into `units`, each exactly once, in the order units are processed. An item of more
  // than one unit is a sibling group whose per-tensor weight amax is unified (export mode): every
  // member is calibrated before any is packed.
  std::vector<std::vector<size_t>> work;
  std::vector<UnifiedInput> unified_inputs;  // export mode
  std::vector<ScalarOutput> scalars;
  std::vector<std::string> calibration_needed;  // activation quantizers without an amax
  std::vector<std::string> calibration_given;   // activation quantizers with --act-amax values
  std::map<std::string, ModuleExportInfo> quantized_modules;  // export mode
  std::vector<std::string> unquantized_modules;  // modules whose weight quantizer is off
  std::optional<std::string> kv_cache_algo;      // FP8 / INT8 / NVFP4 / NVFP4_AFFINE
  std::vector<std::string> rotated_inputs;       // modules whose inputs must be rotated (fake)
};

// Sibling linears that read one input, found by name (we have no forward pass; docs/runtime.md):
// within one parent module {q_proj, k_proj, v_proj}, {gate_proj, up_proj} and {w1, w3}. Returns
// "<parent>.<group>" ("model.layers.0.self_attn.qkv") for the dense `<m>.weight` of such a
// linear, "" otherwise.
std::string sibling_group_key(const WorkUnit& unit);

// `act_amax`: static activation amax by quantizer name (--act-amax). In export mode, sibling
// linears quantized with one export algo (not FP8 per tensor nor FP8 blocks, which ModelOpt
// leaves alone) get the group max of their per-tensor weight amax and of their input amax, as
// ModelOpt's requantize_resmooth_fused_llm_layers / sync_moe_gate_up_amax do (§6.5).
// How weights are calibrated: max (ModelOpt's `max` and every method that leaves weights at max),
// or ModelOpt's `mse` with `fp8_scale_sweep: true`, which sweeps the FP8 block scales of static
// NVFP4 weights and leaves every other weight at max.
enum class WeightCalibration { max, mse_fp8_scale_sweep };

// `weight_amax` (--weight-amax, may be null): given first-stage amax by weight quantizer name;
// a size that does not fit the weight is an error at the quantizer.
Prepared prepare(const Binding& binding, Mode mode, const std::map<std::string, float>& act_amax,
                 Diagnostics& diags, WeightCalibration weights = WeightCalibration::max,
                 const std::map<std::string, GivenWeightAmax>* weight_amax = nullptr);

}  // namespace qcfg::runtime
