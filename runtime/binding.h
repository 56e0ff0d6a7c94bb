// Binding a plan to a checkpoint: which tensors each weight quantizer reads, grouped into work
// units (one output tensor each, or one group calibrated jointly), and which quantizers act on
// activations. Names follow the resolver's derivation (resolver/checkpoint_inventory.cpp):
// `<m>.weight_quantizer` reads `<m>.weight` (or `<m>.weight0..N` of a grouped module, one shared
// quantizer, calibrated jointly); `<m>.<p>_weight_quantizers.<e>` reads expert e of the fused
// 3-D tensor `<m>.<p>`; with a fused expert layout (checkpoint/expert_layout.h)
// `<experts>.gate_up_proj_weight_quantizers.<e>` reads the per-expert `gate_proj` and `up_proj`
// weights of expert e as one tensor (their rows concatenated), `down_proj_...<e>` its down_proj.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "checkpoint/expert_layout.h"
#include "runtime/checkpoint.h"
#include "runtime/plan_reader.h"

namespace qcfg::runtime {

// One checkpoint tensor and what quantizes it.
struct WorkTensor {
  const TensorRef* tensor = nullptr;
  std::string module;  // "model.layers.0.mlp.experts"
  std::string param;   // "weight", "weight3", "gate_up_proj"
};

// Tensors processed together: calibration sees all of them before any is written.
struct WorkUnit {
  enum class Kind {
    copy,    // written unchanged
    shared,  // one quantizer over every tensor (a dense weight, or grouped weight0..N jointly)
    fused,   // one 3-D tensor [E, ...], expert e quantized by its own quantizer
  };
  Kind kind = Kind::copy;
  std::vector<WorkTensor> tensors;
  // shared: the tensors are the row blocks of one fused weight (gate_proj, up_proj of an expert
  // that transformers >= 5 fuses into gate_up_proj): calibrated and quantized as their
  // concatenation along dim 0, as ModelOpt does, and written back as the separate tensors.
  bool concat_rows = false;
  const PlanQuantizer* quantizer = nullptr;             // shared
  std::vector<const PlanQuantizer*> expert_quantizers;  // fused, one per expert (may be null)
  uint64_t bytes() const;
};

// An enabled quantizer on activations (input / output / KV BMM).
struct ActivationQuantizer {
  const PlanQuantizer* quantizer = nullptr;
  bool needs_calibration = false;  // static amax that only a forward pass can give
};

// True when an enabled stage has a static amax that only a forward pass gives: not dynamic, not
// constant, not MX (dynamic blocks with E8M0 scales), not per token (`{-1: None}`). The Python
// package asks the same (torch.ops.qcfg.needs_calibration).
bool stage_needs_calibration(const PlanStage& s);

struct Binding {
  std::vector<WorkUnit> units;  // every checkpoint tensor exactly once, in checkpoint order
  std::vector<ActivationQuantizer> activations;
  std::map<std::string, const PlanQuantizer*> by_name;
  // Checkpoint modules of MoE routers that the fused layout replaces by a router class (no
  // quantizer; ModelOpt still lists them as unquantized in exclude_modules).
  std::vector<std::string> replaced_routers;
};

// Problems are added to `diags` (located at the quantizer's record in the plan, naming it):
// an enabled weight quantizer without its weight(s) (a grouped module missing `weightK`, a
// quantizer the checkpoint has no tensor for), a weight of the model the plan has no record
// for. `expected_experts` (from config.json; 0: unknown) also checks the count of weight0..N.
// `layout` names the experts as the plan was compiled (with config.json for `automatic`).
Binding bind_plan(const Plan& plan, const Checkpoint& ckpt, int64_t expected_experts,
                  Diagnostics& diags,
                  checkpoint::ExpertLayout layout = checkpoint::ExpertLayout::automatic);

}  // namespace qcfg::runtime
