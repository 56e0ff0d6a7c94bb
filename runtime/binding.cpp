#include "runtime/binding.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "checkpoint/hf_names.h"
#include "resolver/attributes.h"
#include "resolver/checkpoint_inventory.h"

namespace qcfg::runtime {
namespace {

constexpr const char* kRule = "runtime-binding";

using checkpoint::is_weight_quantizer_name;
using checkpoint::split_last;

// Index K of a `weightK` parameter, or -1.
int64_t grouped_index(const std::string& param) {
  return checkpoint::grouped_weight_index(param).value_or(-1);
}

std::vector<resolver::TensorInfo> tensor_infos(const Checkpoint& ckpt) {
  std::vector<resolver::TensorInfo> infos;
  for (const TensorRef& t : ckpt.tensors())
    infos.push_back({t.name, t.dtype, t.shape, t.nbytes, t.file, -1});
  return infos;
}

class Binder {
 public:
  Binder(const Plan& plan, const Checkpoint& ckpt, int64_t experts, Diagnostics& diags,
         checkpoint::ExpertLayout layout)
      : plan_(plan), ckpt_(ckpt), expected_experts_(experts), diags_(diags), layout_(layout) {
    for (const PlanQuantizer& q : plan.quantizers) binding_.by_name[q.name] = &q;
  }

  Binding run() {
    // The same derivation, and the same expert layout, as the plan was compiled against.
    const std::optional<checkpoint::CheckpointConfig> config = checkpoint_config();
    const resolver::Inventory inv =
        resolver::inventory_from_tensors(tensor_infos(ckpt_), config, ckpt_.dir(), layout_);
    binding_.replaced_routers = inv.replaced_routers;
    for (const resolver::InventoryQuantizer& iq : inv.quantizers)
      if (!iq.tensors.empty()) bind_weight_quantizer(iq);
    check_plan_weights_present();
    collect_activations();
    order_units();
    return std::move(binding_);
  }

 private:
  std::optional<checkpoint::CheckpointConfig> checkpoint_config() {
    try {
      return checkpoint::read_checkpoint_config(ckpt_.dir());
    } catch (const resolver::InventoryError& e) {
      diags_.error(plan_.loc, e.what(), kRule);
      return std::nullopt;
    }
  }

  const PlanQuantizer* plan_record(const std::string& name) const {
    auto it = binding_.by_name.find(name);
    return it == binding_.by_name.end() ? nullptr : it->second;
  }

  void bind_weight_quantizer(const resolver::InventoryQuantizer& iq) {
    const PlanQuantizer* q = plan_record(iq.name);
    bound_.insert(iq.name);
    if (q == nullptr) {
      diags_.error(plan_.loc,
                   fmt::format("the model has weight quantizer '{}' (tensor '{}') but the plan "
                               "has no record for it; the plan was compiled for another "
                               "model: recompile it with `qcfg compile --model {}`",
                               iq.name, iq.tensors[0].name, ckpt_.dir()),
                   kRule);
      return;
    }
    if (iq.tensors[0].expert_slice >= 0) {
      bind_expert_slice(*q, iq.tensors[0]);
      return;
    }
    WorkUnit u;
    u.kind = WorkUnit::Kind::shared;
    u.quantizer = q;
    for (const resolver::TensorInfo& t : iq.tensors) u.tensors.push_back(work_tensor(t.name));
    u.concat_rows = iq.tensors.size() > 1 && iq.tensors[0].fused_part >= 0;
    if (!u.concat_rows && (iq.tensors.size() > 1 || grouped_index(u.tensors[0].param) >= 0))
      check_grouped(*q, u);
    units_by_first_tensor_[u.tensors[0].tensor->name] = std::move(u);
  }

  WorkTensor work_tensor(const std::string& name) const {
    auto [module, param] = split_last(name);
    return {ckpt_.find(name), module, param};
  }

  void bind_expert_slice(const PlanQuantizer& q, const resolver::TensorInfo& t) {
    WorkUnit& u = units_by_first_tensor_[t.name];
    if (u.tensors.empty()) {
      u.kind = WorkUnit::Kind::fused;
      u.tensors.push_back(work_tensor(t.name));
      u.expert_quantizers.assign(static_cast<size_t>(t.shape[0]), nullptr);
    }
    u.expert_quantizers[static_cast<size_t>(t.expert_slice)] = &q;
  }

  // weight0..N of one grouped module: every index from 0 present (and as many as config.json's
  // expert count, when it gives one). A gap means the checkpoint lacks an expert's weight.
  void check_grouped(const PlanQuantizer& q, const WorkUnit& u) {
    std::set<int64_t> present;
    for (const WorkTensor& t : u.tensors) present.insert(grouped_index(t.param));
    const int64_t want =
        std::max<int64_t>(expected_experts_, present.empty() ? 0 : *present.rbegin() + 1);
    std::vector<std::string> missing;
    for (int64_t k = 0; k < want; ++k)
      if (!present.count(k)) missing.push_back(fmt::format("{}.weight{}", u.tensors[0].module, k));
    if (missing.empty() || !q.any_enabled()) return;
    diags_.error(q.where(q.loc),
                 fmt::format("weight quantizer '{}' quantizes {} grouped expert weights, but the "
                             "checkpoint has no {}: every expert's weight must be present "
                             "(ModelOpt would fail at export)",
                             q.name, want, fmt::join(missing, ", ")),
                 kRule);
  }

  void check_plan_weights_present() {
    for (const PlanQuantizer& q : plan_.quantizers) {
      if (!is_weight_quantizer_name(q.name) || bound_.count(q.name) || !q.any_enabled()) continue;
      diags_.error(q.where(q.loc),
                   fmt::format("weight quantizer '{}' is enabled but the checkpoint has no weight "
                               "for it; recompile the plan for this model",
                               q.name),
                   kRule);
    }
  }

  void collect_activations() {
    for (const PlanQuantizer& q : plan_.quantizers) {
      if (is_weight_quantizer_name(q.name) || !q.any_enabled()) continue;
      ActivationQuantizer a{&q, false};
      for (const PlanStage& s : q.stages) a.needs_calibration |= stage_needs_calibration(s);
      binding_.activations.push_back(a);
    }
  }

  void order_units() {
    std::set<const TensorRef*> covered;
    for (const auto& [first, u] : units_by_first_tensor_)
      for (const WorkTensor& t : u.tensors) covered.insert(t.tensor);
    for (const TensorRef& t : ckpt_.tensors()) {
      auto it = units_by_first_tensor_.find(t.name);
      if (it != units_by_first_tensor_.end()) {
        binding_.units.push_back(std::move(it->second));
      } else if (!covered.count(&t)) {
        WorkUnit u;
        u.tensors.push_back(work_tensor(t.name));
        binding_.units.push_back(std::move(u));
      }
    }
  }

  const Plan& plan_;
  const Checkpoint& ckpt_;
  int64_t expected_experts_;
  Diagnostics& diags_;
  checkpoint::ExpertLayout layout_;
  Binding binding_;
  std::set<std::string> bound_;
  std::map<std::string, WorkUnit> units_by_first_tensor_;
};

}  // namespace

bool stage_needs_calibration(const PlanStage& s) {
  if (!s.enabled) return false;
  const QuantizerAttributes& a = s.typed();
  return !a.dynamic() && !a.has_constant_amax() && !a.is_mx() && !a.per_token();
}

uint64_t WorkUnit::bytes() const {
  uint64_t sum = 0;
  for (const WorkTensor& t : tensors) sum += t.tensor->nbytes;
  return sum;
}

Binding bind_plan(const Plan& plan, const Checkpoint& ckpt, int64_t expected_experts,
                  Diagnostics& diags, checkpoint::ExpertLayout layout) {
  return Binder(plan, ckpt, expected_experts, diags, layout).run();
}

}  // namespace qcfg::runtime
