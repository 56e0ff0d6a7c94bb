#include "runtime/prepare.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "checkpoint/expert_layout.h"
#include "checkpoint/hf_names.h"
#include "kernels/cpu/shape.h"
#include "resolver/load_dtypes.h"
#include "runtime/checkpoint.h"

namespace qcfg::runtime {
namespace {

constexpr const char* kRule = "runtime-check";

std::string shape_text(const std::vector<int64_t>& shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

// The shape one quantizer sees: the tensor, one expert's slice of a fused tensor, or the row
// blocks of a fused expert weight concatenated.
std::vector<int64_t> slot_shape(const WorkUnit& u, const TensorRef& t) {
  if (u.kind == WorkUnit::Kind::fused) return {t.shape.begin() + 1, t.shape.end()};
  std::vector<int64_t> shape = t.shape;
  if (u.concat_rows && !shape.empty()) shape[0] *= static_cast<int64_t>(u.tensors.size());
  return shape;
}

// The distinct modules of a unit's tensors, in order (two for a gate_proj + up_proj unit).
std::vector<std::string> unit_modules(const WorkUnit& u) {
  std::vector<std::string> modules;
  for (const WorkTensor& t : u.tensors)
    if (std::find(modules.begin(), modules.end(), t.module) == modules.end())
      modules.push_back(t.module);
  return modules;
}

// Block and rotation sizes must divide the dims they cut. The one exception is fake quant of an
// INT / FP8 block along the last dim only: ModelOpt zero-pads such a tensor to whole blocks
// (TensorQuantizer._setup_for_blockquant) and zeros leave a block's amax unchanged, so a partial
// last block is quantized against the amax of its own elements, which the kernels do. ModelOpt's
// export refuses partial blocks ("partial blocks are not supported"), and so does qcfg's.
void check_fits(const QuantFormat& f, const std::vector<int64_t>& shape, Mode mode) {
  if (shape.empty()) throw std::invalid_argument("a 0-d tensor cannot be quantized");
  const numerics::Granularity g = granularity_for(f, shape);
  const int64_t cols = shape.back();
  auto divides = [](int64_t block, int64_t dim, const char* what) {
    if (block > 0 && dim % block != 0)
      throw std::invalid_argument(
          fmt::format("{} {} is not a multiple of the block size {}", what, dim, block));
  };
  if (const auto* pb = std::get_if<numerics::PerBlock>(&g)) {
    const bool padded = mode == Mode::fake && pb->block_rows <= 1 &&
                        (f.kind == FormatKind::integer || f.kind == FormatKind::fp8);
    if (!padded) divides(pb->block, cols, "the last dim");
    if (pb->block_rows > 1) divides(pb->block_rows, shape[shape.size() - 2], "dim -2");
  }
  if (f.kind == FormatKind::nvfp4_dynamic) divides(16, cols, "the last dim");
  if (f.kind == FormatKind::nvfp4_static) divides(f.last_dim_block(), cols, "the last dim");
  if (f.kind == FormatKind::mx)
    divides(f.last_dim_block() > 0 ? f.last_dim_block() : 32, cols, "the last dim");
  if (f.rotate) {
    try {
      numerics::hadamard_block_size(cols, f.rotate->block);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("rotation: ") + e.what());
    }
  }
}

class Preparer {
 public:
  Preparer(const Binding& b, Mode mode, const std::map<std::string, float>& act_amax,
           Diagnostics& diags, WeightCalibration weights,
           const std::map<std::string, GivenWeightAmax>* weight_amax)
      : binding_(b),
        act_amax_(act_amax),
        diags_(diags),
        weights_(weights),
        weight_amax_(weight_amax) {
    out_.mode = mode;
  }

  Prepared run() {
    for (const WorkUnit& u : binding_.units) prepare_unit(u);
    plan_work();
    collect_activations();
    return std::move(out_);
  }

 private:
  void error(const PlanQuantizer& q, const std::string& message) {
    diags_.error(q.where(q.loc), fmt::format("quantizer '{}': {}", q.name, message), kRule);
  }

  std::optional<QuantSlot> make_slot(const PlanQuantizer* q, const std::vector<int64_t>& shape,
                                     const TensorRef& t) {
    QuantSlot slot;
    slot.quantizer = q;
    if (q == nullptr) return slot;
    for (const PlanStage& s : q->stages) {
      if (!s.enabled) continue;
      try {
        QuantFormat f = parse_format(s.attributes());
        check_fits(f, shape, out_.mode);
        f.fp8_scale_sweep = weights_ == WeightCalibration::mse_fp8_scale_sweep &&
                            f.kind == FormatKind::nvfp4_static;
        slot.stages.push_back(std::move(f));
      } catch (const FormatError& e) {
        diags_.error(q->where(e.loc()), fmt::format("quantizer '{}': {}", q->name, e.what()),
                     kRule);
        return std::nullopt;
      } catch (const std::invalid_argument& e) {
        error(*q, fmt::format("tensor '{}' {}: {}", t.name, shape_text(shape), e.what()));
        return std::nullopt;
      }
    }
    if (slot.quantizes() && float_dtype_size(t.dtype) == 0) {
      error(*q, fmt::format("tensor '{}' has dtype {}; only BF16, F16 and F32 weights are "
                            "quantized",
                            t.name, t.dtype));
      return std::nullopt;
    }
    if (slot.quantizes() && !attach_given_amax(slot, shape)) return std::nullopt;
    return slot;
  }

  // --weight-amax for this quantizer, when given: checked against the layout calibration has.
  bool attach_given_amax(QuantSlot& slot, const std::vector<int64_t>& shape) {
    if (weight_amax_ == nullptr) return true;
    const auto it = weight_amax_->find(slot.quantizer->name);
    if (it == weight_amax_->end()) return true;
    const auto g = calibration_granularity(slot.stages[0], shape);
    const size_t want = g ? static_cast<size_t>(numerics::AmaxLayout(shape, *g).size()) : 0;
    if (it->second.amax.size() != want) {
      error(*slot.quantizer, fmt::format("--weight-amax gives {} amax values; its weight {} "
                                         "calibrates {}",
                                         it->second.amax.size(), shape_text(shape), want));
      return false;
    }
    slot.given = &it->second;
    return true;
  }

  void prepare_unit(const WorkUnit& u) {
    PreparedUnit p;
    p.unit = &u;
    p.shard = u.tensors[0].tensor->file;
    const TensorRef& first = *u.tensors[0].tensor;
    const std::vector<int64_t> shape = slot_shape(u, first);
    bool ok = true;
    if (u.kind == WorkUnit::Kind::shared) {
      for (const WorkTensor& t : u.tensors)
        if (t.tensor->shape != first.shape && u.quantizer->any_enabled()) {
          error(*u.quantizer, fmt::format("grouped weights calibrated jointly must have one shape: "
                                          "'{}' is {}, '{}' is {}",
                                          first.name, shape_text(first.shape), t.tensor->name,
                                          shape_text(t.tensor->shape)));
          ok = false;
          break;
        }
      auto slot = make_slot(u.quantizer, shape, first);
      if (!slot)
        ok = false;
      else
        p.slots.push_back(std::move(*slot));
    } else if (u.kind == WorkUnit::Kind::fused) {
      for (const PlanQuantizer* q : u.expert_quantizers) {
        auto slot = make_slot(q, shape, first);
        if (!slot) {
          ok = false;
          break;
        }
        p.slots.push_back(std::move(*slot));
      }
    }
    if (!ok) return;
    note_module(p);
    if (!plan_outputs(p)) return;
    out_.units.push_back(std::move(p));
  }

  void note_module(const PreparedUnit& p) {
    if (p.unit->kind == WorkUnit::Kind::copy) return;
    for (const std::string& module : unit_modules(*p.unit)) {
      if (!p.quantizes()) {
        out_.unquantized_modules.push_back(module);
        continue;
      }
      for (const QuantSlot& s : p.slots)
        for (const QuantFormat& f : s.stages)
          if (f.rotate && f.rotate->mode == numerics::RotateMode::rotate &&
              std::find(out_.rotated_inputs.begin(), out_.rotated_inputs.end(), module) ==
                  out_.rotated_inputs.end())
            out_.rotated_inputs.push_back(module);
    }
  }

  // The enabled input quantizer that goes with a weight quantizer (by ModelOpt's names, so a
  // fused experts module's shared `<p>_input_quantizer` serves every expert's tensors).
  const PlanQuantizer* input_quantizer_of(const PlanQuantizer* weight) const {
    if (weight == nullptr) return nullptr;
    auto it = binding_.by_name.find(checkpoint::input_quantizer_for(weight->name));
    return it == binding_.by_name.end() || !it->second->any_enabled() ? nullptr : it->second;
  }

  bool plan_outputs(PreparedUnit& p) {
    if (out_.mode == Mode::fake || !p.quantizes()) {
      for (const WorkTensor& t : p.unit->tensors)
        p.outputs.push_back({t.tensor->name,
                             p.quantizes() ? t.tensor->dtype : stored_dtype(*t.tensor),
                             t.tensor->shape});
      return true;
    }
    return plan_export_outputs(p);
  }

  // What ModelOpt writes a tensor as: the checkpoint's dtype, except tensors transformers keeps
  // in float32 at load (resolver/load_dtypes.h), which it writes as F32.
  static std::string stored_dtype(const TensorRef& t) {
    return resolver::kept_in_fp32_at_load(t.name) && float_dtype_size(t.dtype) == 2 ? "F32"
                                                                                    : t.dtype;
  }

  // Every expert of a fused tensor must share one exportable format (one packed tensor).
  const QuantSlot* uniform_slot(const PreparedUnit& p) {
    const QuantSlot& first = p.slots.front();
    auto label = [](const QuantSlot& s) { return s.stages.empty() ? "off" : s.stages[0].label(); };
    for (const QuantSlot& s : p.slots) {
      if (s.stages.size() != 1 || label(s) != label(first)) {
        error(*(s.quantizer ? s.quantizer : first.quantizer),
              "export writes one packed tensor per fused expert parameter: every expert's "
              "quantizer must be enabled with the same single format");
        return nullptr;
      }
    }
    return &first;
  }

  bool plan_export_outputs(PreparedUnit& p) {
    const QuantSlot* slot = uniform_slot(p);
    if (slot == nullptr) return false;
    const PlanQuantizer& q = *slot->quantizer;
    if (q.sequential || slot->stages.size() != 1) {
      error(q,
            "sequential (multi-stage) weight quantizers are not exported by the runtime; use "
            "--mode fake");
      return false;
    }
    const QuantFormat& w = slot->stages[0];
    if (w.rotate && w.rotate->mode == numerics::RotateMode::rotate_back) {
      error(q,
            "rotate_back cannot be exported (ModelOpt rejects it for real quantization: there "
            "is no float weight to rotate back); use --mode fake");
      return false;
    }
    const WorkTensor& first = p.unit->tensors[0];
    const PlanQuantizer* input = input_quantizer_of(&q);
    try {
      std::optional<QuantFormat> input_format;
      if (input != nullptr) input_format = parse_format(input->stages[0].attributes());
      const ExportAlgo algo = export_algo(w, input_format);
      p.algo = algo;
      for (const WorkTensor& t : p.unit->tensors) {
        auto tensors = export_tensors(algo, w, t.module, t.param, t.tensor->shape);
        p.outputs.insert(p.outputs.end(), tensors.begin(), tensors.end());
      }
      for (const std::string& module : unit_modules(*p.unit))
        out_.quantized_modules[module] = {algo_name(algo), algo_group_size(algo, w)};
      // Every row block of a fused expert weight is its own linear on disk: each gets the
      // shared input quantizer's input_scale, as ModelOpt's export writes.
      const size_t scaled = p.unit->concat_rows ? p.unit->tensors.size() : 1;
      for (size_t i = 0; input != nullptr && input_scale_bound(algo) > 0 && i < scaled; ++i)
        add_input_scale(
            *input,
            checkpoint::input_scale_name(p.unit->tensors[i].module, p.unit->tensors[i].param),
            input_scale_bound(algo), p.shard);
    } catch (const FormatError& e) {
      diags_.error((input ? *input : q).where(e.loc()),
                   fmt::format("quantizer '{}': {}", input ? input->name : q.name, e.what()),
                   kRule);
      return false;
    } catch (const std::invalid_argument& e) {
      error(q, fmt::format("tensor '{}' {}: {}", first.tensor->name,
                           shape_text(first.tensor->shape), e.what()));
      return false;
    }
    return true;
  }

  // Work items in unit order; in export mode, sibling groups (§6.5) become one item, placed at
  // their first member, and their input amax is unified.
  void plan_work() {
    std::map<std::string, std::vector<size_t>> groups;
    for (size_t i = 0; i < out_.units.size(); ++i) {
      const std::string key = out_.mode == Mode::export_hf ? sibling_group_key(*out_.units[i].unit)
                                                           : static_nvfp4_group_key(out_.units[i]);
      if (!key.empty()) groups[key].push_back(i);
    }
    std::vector<int> item_of(out_.units.size(), -1);  // -1: a unit of its own
    std::vector<std::vector<size_t>> items;
    for (const auto& [key, members] : groups) {
      if (members.size() < 2 || !unifiable(members)) continue;
      if (out_.mode == Mode::export_hf) unify_inputs(members);
      if (!unifies_weight(out_.units[members[0]])) continue;
      for (size_t i : members) {
        PreparedUnit& p = out_.units[i];
        for (size_t j : members)
          if (j != i) p.unified_with.push_back(out_.units[j].slots[0].quantizer->name);
        std::sort(p.unified_with.begin(), p.unified_with.end());
        item_of[i] = static_cast<int>(items.size());
      }
      items.push_back(members);
    }
    for (size_t i = 0; i < out_.units.size(); ++i) {
      if (item_of[i] < 0)
        out_.work.push_back({i});
      else if (items[static_cast<size_t>(item_of[i])].front() == i)
        out_.work.push_back(items[static_cast<size_t>(item_of[i])]);
    }
  }

  // Fake mode: static NVFP4 weights of q/k/v, gate/up, w1/w3 share one global amax, which
  // ModelOpt's max_calibrate sets before quantizing (SHARED_PATTERNS of
  // torch/quantization/utils/shared_input.py; narrower than the export's sibling groups).
  static std::string static_nvfp4_group_key(const PreparedUnit& p) {
    if (p.slots.size() != 1 || p.slots[0].stages.size() != 1 ||
        p.slots[0].stages[0].kind != FormatKind::nvfp4_static)
      return "";
    const std::string key = sibling_group_key(*p.unit);
    if (key.empty()) return "";
    const checkpoint::ProjectionName* proj =
        checkpoint::projection(checkpoint::split_last(p.unit->tensors[0].module).second);
    return proj != nullptr && proj->shares_static_nvfp4_amax ? key : "";
  }

  // Every sibling quantized with one export algo and one weight format; ModelOpt skips per-tensor
  // FP8 and FP8 blocks (requantize_resmooth_fused_llm_layers). Fake mode: one static NVFP4 format.
  bool unifiable(const std::vector<size_t>& members) const {
    const PreparedUnit& first = out_.units[members[0]];
    if (out_.mode == Mode::fake) {
      for (size_t i : members)
        if (out_.units[i].slots[0].stages[0].label() != first.slots[0].stages[0].label())
          return false;
      return true;
    }
    for (size_t i : members) {
      const PreparedUnit& p = out_.units[i];
      if (!p.algo || p.slots.size() != 1 || p.slots[0].stages.size() != 1) return false;
      if (*p.algo != *first.algo ||
          p.slots[0].stages[0].label() != first.slots[0].stages[0].label())
        return false;
    }
    return resolver::export_algo_info(*first.algo).unify_siblings;
  }

  // A weight amax with one per-tensor value: the NVFP4 global amax (dynamic: the per-tensor amax;
  // static: the max of the block amax), any per-tensor amax.
  static bool unifies_weight(const PreparedUnit& p) {
    const QuantFormat& f = p.slots[0].stages[0];
    if (f.kind == FormatKind::nvfp4_static) return true;
    const auto g = calibration_granularity(f, p.unit->tensors[0].tensor->shape);
    return g && std::holds_alternative<numerics::PerTensor>(*g);
  }

  // Input amax := the max over the siblings given one with --act-amax; input_scale follows.
  void unify_inputs(const std::vector<size_t>& members) {
    const ExportAlgo algo = *out_.units[members[0]].algo;
    const float bound = input_scale_bound(algo);
    if (bound <= 0) return;
    std::vector<std::pair<const WorkTensor*, const PlanQuantizer*>> given;
    float group = 0;
    for (size_t i : members) {
      const WorkTensor& t = out_.units[i].unit->tensors[0];
      const PlanQuantizer* input = input_quantizer_of(out_.units[i].slots[0].quantizer);
      if (input == nullptr || !act_amax_.count(input->name)) continue;
      given.emplace_back(&t, input);
      group = std::max(group, act_amax_.at(input->name));
    }
    if (given.size() < 2) return;
    for (const auto& [t, input] : given) {
      UnifiedInput u{input->name, act_amax_.at(input->name), group, {}};
      for (const auto& [other_t, other] : given)
        if (other != input) u.unified_with.push_back(other->name);
      std::sort(u.unified_with.begin(), u.unified_with.end());
      const std::string name = checkpoint::input_scale_name(t->module, t->param);
      for (ScalarOutput& s : out_.scalars)
        if (s.name == name) s.value = numerics::export_scale(group, bound);
      out_.unified_inputs.push_back(std::move(u));
    }
  }

  void add_input_scale(const PlanQuantizer& input, const std::string& name, float bound,
                       const std::string& shard) {
    scale_inputs_.insert(input.name);
    auto it = act_amax_.find(input.name);
    if (it == act_amax_.end()) return;
    out_.scalars.push_back({name, numerics::export_scale(it->second, bound), shard});
  }

  void collect_activations() {
    for (const std::string& router : binding_.replaced_routers)
      out_.unquantized_modules.push_back(router);
    for (const ActivationQuantizer& a : binding_.activations) {
      const std::string& name = a.quantizer->name;
      note_kv(*a.quantizer);
      if (!a.needs_calibration) continue;
      (act_amax_.count(name) ? out_.calibration_given : out_.calibration_needed).push_back(name);
    }
  }

  // KV cache: k/v BMM quantizers give kv_cache_quant_algo and, with an amax, k_scale / v_scale
  // = amax x f32(1/448) on the k_proj / v_proj modules (shared/spec/numerics.md §10.2;
  // the reciprocal: docs/numerics.md, ModelOpt 0.47 behaviours).
  void note_kv(const PlanQuantizer& q) {
    if (!resolver::is_kv_bmm_quantizer(q.name)) return;
    const bool k = q.name.ends_with("k_bmm_quantizer");
    const std::string algo = resolver::kv_cache_algo(q.stages[0].typed());
    if (!algo.empty() && !out_.kv_cache_algo) out_.kv_cache_algo = algo;
    if (out_.mode != Mode::export_hf) return;
    auto it = act_amax_.find(q.name);
    if (it == act_amax_.end()) return;
    const std::string attn = q.name.substr(0, q.name.size() - 15);  // "<attn>."
    const checkpoint::KvScaleName kv = checkpoint::kv_scale_name(attn, k);
    std::string shard;
    for (const PreparedUnit& p : out_.units)
      if (p.unit->tensors[0].tensor->name == kv.weight) shard = p.shard;
    if (shard.empty() && !out_.units.empty()) shard = out_.units.front().shard;
    out_.scalars.push_back({kv.scale, numerics::times_reciprocal(it->second, 448.0f), shard});
  }

  const Binding& binding_;
  const std::map<std::string, float>& act_amax_;
  Diagnostics& diags_;
  WeightCalibration weights_;
  const std::map<std::string, GivenWeightAmax>* weight_amax_;
  Prepared out_;
  std::set<std::string> scale_inputs_;
};

}  // namespace

std::string sibling_group_key(const WorkUnit& u) {
  // Copy units count too: an unquantized sibling keeps the group from being unified.
  if (u.kind == WorkUnit::Kind::fused || u.concat_rows || u.tensors.size() != 1 ||
      u.tensors[0].param != "weight")
    return "";
  return checkpoint::sibling_group_key(u.tensors[0].module);
}

bool PreparedUnit::quantizes() const {
  return std::any_of(slots.begin(), slots.end(), [](const QuantSlot& s) { return s.quantizes(); });
}

Prepared prepare(const Binding& binding, Mode mode, const std::map<std::string, float>& act_amax,
                 Diagnostics& diags, WeightCalibration weights,
                 const std::map<std::string, GivenWeightAmax>* weight_amax) {
  return Preparer(binding, mode, act_amax, diags, weights, weight_amax).run();
}

}  // namespace qcfg::runtime
