#include "runtime/compute.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "kernels/torch/streams.h"
#include "kernels/torch/tensor_ops.h"

namespace qcfg::runtime {
namespace {

namespace ops = tensor_ops;

at::ScalarType scalar_type(const std::string& dtype) {
  if (dtype == "BF16") return at::kBFloat16;
  if (dtype == "F16") return at::kHalf;
  if (dtype == "F32") return at::kFloat;
  throw std::invalid_argument("dtype " + dtype + " is not a float weight dtype");
}

std::string granularity_label(const numerics::Granularity& g) {
  if (const auto* a = std::get_if<numerics::PerAxis>(&g))
    return fmt::format("per-axis {}", a->axis);
  if (const auto* b = std::get_if<numerics::PerBlock>(&g))
    return b->block_rows > 1 ? fmt::format("block {}x{}", b->block_rows, b->block)
                             : fmt::format("block {}", b->block);
  return "per-tensor";
}

std::vector<int64_t> shape_of(const at::Tensor& x) { return {x.sizes().begin(), x.sizes().end()}; }

float scalar_amax(const std::vector<float>& v) { return v.empty() ? 0.0f : v[0]; }

// The tensor a stage calibrates on and quantizes: rotated first when the stage rotates (§0.1).
at::Tensor stage_input(const at::Tensor& x, const QuantFormat& f) {
  return f.rotate ? ops::hadamard(x, f.rotate->block) : x;
}

// What one stage was calibrated to: its amax entries and, where calibration set it apart from
// them (the FP8 scale sweep of static NVFP4), the global amax.
struct StageAmax {
  std::vector<float> values;
  std::optional<float> global;
};

// Amax of every stage of one quantizer over `inputs` (all of them jointly).
// Tensors come from `input(i)`, i < count, loaded one at a time (grouped experts can be many).
template <class Input>
std::vector<StageAmax> calibrate(const QuantSlot& slot, size_t count, Input&& input,
                                 const std::vector<int64_t>& shape,
                                 std::vector<AmaxRecord>& records) {
  std::vector<StageAmax> amax;
  for (size_t s = 0; s < slot.stages.size(); ++s) {
    const QuantFormat& f = slot.stages[s];
    const auto g = calibration_granularity(f, shape);
    AmaxRecord rec{slot.quantizer->name, s, g ? granularity_label(*g) : "none (dynamic MX)", {}};
    StageAmax stage;
    if (s == 0 && slot.given != nullptr) {  // --weight-amax (prepare checked the size)
      rec.values = slot.given->amax;
      rec.global_amax = slot.given->global_amax;
      stage.global = slot.given->global_amax;
    } else if (g && f.constant_amax) {
      rec.values.assign(static_cast<size_t>(numerics::AmaxLayout(shape, *g).size()),
                        *f.constant_amax);
    } else if (g) {
      ops::JointCalibrator cal(*g);
      for (size_t i = 0; i < count; ++i) cal.collect(stage_input(input(i), f));
      rec.values = cal.amax();
    }
    stage.values = rec.values;
    amax.push_back(std::move(stage));
    records.push_back(std::move(rec));
  }
  return amax;
}

// ModelOpt's MSE sweep (`fp8_scale_sweep`) replaces the max-calibrated block amax of a static
// NVFP4 weight `w` and keeps its global amax: the weight's own max, or the max over its sibling
// group (`group_global`), which ModelOpt's max_calibrate shares before the sweep runs
// (SharedWeightGlobalAmaxState). `amax` and `records` are what calibrate() gave for `slot`.
void sweep_if_asked(const QuantSlot& slot, const at::Tensor& w, const TensorRef& stored,
                    std::vector<StageAmax>& amax, std::vector<AmaxRecord>& records,
                    std::optional<float> group_global = std::nullopt) {
  const size_t first = records.size() - slot.stages.size();
  for (size_t s = 0; s < slot.stages.size(); ++s) {
    const QuantFormat& f = slot.stages[s];
    if (!f.fp8_scale_sweep) continue;
    AmaxRecord& rec = records[first + s];
    const float own =
        rec.values.empty() ? 0.0f : *std::max_element(rec.values.begin(), rec.values.end());
    const float global = group_global.value_or(own);
    rec.values = ops::nvfp4_fp8_sweep_amax(stage_input(w, f), global,
                                           static_cast<size_t>(float_dtype_size(stored.dtype)));
    rec.global_amax = global;
    amax[s] = StageAmax{rec.values, global};
  }
}

at::Tensor fake_quantize(const at::Tensor& x, const QuantSlot& slot,
                         const std::vector<StageAmax>& amax) {
  at::Tensor y = x;
  const std::vector<int64_t> shape = shape_of(x);
  for (size_t s = 0; s < slot.stages.size(); ++s) {
    const QuantFormat& f = slot.stages[s];
    const numerics::QuantSpec spec =
        make_spec(f, granularity_for(f, shape), amax[s].values, amax[s].global);
    y = f.rotate ? ops::rotate_fake_quant(y, spec, *f.rotate) : ops::fake_quant(y, spec);
  }
  return y;
}

// The per-tensor amax export derives weight_scale_2 from: the NVFP4 global amax (static: the max
// of the block amax unless calibration kept it apart), or the one per-tensor value.
float global_of(const QuantFormat& f, const StageAmax& amax) {
  if (amax.global) return *amax.global;
  if (f.kind == FormatKind::nvfp4_static)
    return amax.values.empty() ? 0.0f : *std::max_element(amax.values.begin(), amax.values.end());
  return scalar_amax(amax.values);
}

// Packed codes and scales of one 2-D weight; per-tensor scales as 0-d fp32. `global` replaces
// the per-tensor amax (NVFP4 global amax) with a sibling group's max.
std::vector<at::Tensor> pack(ExportAlgo algo, const QuantFormat& f, const at::Tensor& w,
                             at::ScalarType stored, const StageAmax& calibrated,
                             std::optional<float> global = std::nullopt) {
  const std::vector<float> amax = global && f.kind != FormatKind::nvfp4_static
                                      ? std::vector<float>(calibrated.values.size(), *global)
                                      : calibrated.values;
  const std::vector<int64_t> shape = shape_of(w);
  ops::Packed p;
  const resolver::ExportAlgoInfo& info = resolver::export_algo_info(algo);
  switch (info.pack) {
    case resolver::PackKind::fp8:
      p = ops::pack_fp8(w, granularity_for(f, shape), amax, stored);
      break;
    case resolver::PackKind::int8:
      p = ops::pack_int8(w, granularity_for(f, shape), amax);
      break;
    case resolver::PackKind::int4:
      p = ops::pack_int4(w, resolver::scale_group(algo, f), amax);
      break;
    case resolver::PackKind::nvfp4:
      if (f.kind == FormatKind::nvfp4_static)
        p = ops::pack_nvfp4_static(w, amax, global ? *global : global_of(f, calibrated),
                                   f.four_over_six);
      else
        p = ops::pack_nvfp4(w, scalar_amax(amax), resolver::scale_group(algo, f));
      break;
    case resolver::PackKind::mxfp4:
      p = ops::pack_mxfp4(w);
      break;
    case resolver::PackKind::mxfp8:
      p = ops::pack_mxfp8(w);
      break;
  }
  if (info.outputs.global_scale)
    return {p.codes, p.scales, at::scalar_tensor(p.global_scale, at::kFloat)};
  return {p.codes, p.scales};
}

// Host tensors reshaped to the planned output shapes (numel must agree). Copies from the GPU are
// only queued here; compute_unit waits for them once at the end.
void append_outputs(std::vector<at::Tensor> packed, const PreparedUnit& p, UnitResult& r) {
  for (at::Tensor& t : packed) {
    const OutputTensor& o = p.outputs.at(r.outputs.size());
    at::Tensor host = ops::to_host_async(t);
    if (static_cast<uint64_t>(host.numel()) * host.element_size() != o.nbytes())
      throw std::logic_error(fmt::format("'{}': packed {} bytes, layout wants {}", o.name,
                                         host.numel() * host.element_size(), o.nbytes()));
    r.outputs.push_back(host.reshape(o.shape));
  }
}

// Where a unit runs and what its stages cost.
struct Context {
  at::Device device;
  StageTimes* times;
};

// The weight on the device in fp32. The CPU reads the mapping in place. A GPU gets the stored
// dtype (half the bytes of fp32 for bf16 / fp16), read with pread into page-locked staging and
// copied asynchronously on this worker's stream, then widened there: copying pageable mapped
// memory faulted page by page and serialized every worker on the driver's staging buffer.
// widen = false (a GPU only): the stored dtype is kept on the device (see packs_stored).
at::Tensor load(const TensorRef& t, const Context& c, bool widen = true) {
  if (!c.device.is_cuda()) return view_tensor(t).to(at::kFloat);
  at::Tensor staged = ops::host_staging(t.shape, scalar_type(t.dtype), c.device);
  {
    const StageTimer timer(c.times, Stage::read);
    Checkpoint::read(t, staged.data_ptr());
  }
  at::Tensor device = staged.to(c.device, staged.scalar_type(), /*non_blocking=*/true);
  return widen ? device.to(at::kFloat) : device;
}

// True when the unit's weights can stay in their stored dtype on the GPU: an export to NVFP4 with
// dynamic blocks of one stage without rotation or scale sweep. Its GPU kernels (max calibration,
// pack_nvfp4) widen each bf16 / fp16 element exactly as they load it, so they give the bytes of
// the fp32 copy, and the unit holds 2 bytes per element instead of 4 (6 while widening): for a
// 8192 x 2048 bf16 weight 34 MB instead of 67 (101 at the widening), per worker, and for a
// sibling group kept between calibration and packing (gate + up) 67 MB instead of 134.
bool packs_stored(const PreparedUnit& p, const Context& c) {
  if (!c.device.is_cuda() || !p.algo) return false;
  if (resolver::export_algo_info(*p.algo).pack != resolver::PackKind::nvfp4) return false;
  for (const QuantSlot& slot : p.slots) {
    if (slot.stages.size() != 1) return false;
    const QuantFormat& f = slot.stages[0];
    if (f.kind == FormatKind::nvfp4_static || f.rotate || f.fp8_scale_sweep) return false;
  }
  return true;
}

// Row block `i` of `parts` (rows of each part) of a packed output: 0-d scales are shared, other
// outputs are cut along dim 0 in proportion (codes, block scales, per-row scales).
at::Tensor part_of(const at::Tensor& packed, const std::vector<int64_t>& rows, size_t i) {
  if (packed.dim() == 0) return packed;
  int64_t total = 0, start = 0;
  for (size_t k = 0; k < rows.size(); ++k) {
    total += rows[k];
    if (k < i) start += rows[k];
  }
  const int64_t n = packed.size(0);
  if ((n * rows[i]) % total != 0 || (n * start) % total != 0)
    throw std::logic_error("a packed output of a fused expert weight does not split by rows");
  return packed.narrow(0, n * start / total, n * rows[i] / total).contiguous();
}

// Row blocks of one fused expert weight (WorkUnit::concat_rows): ModelOpt calibrates and
// quantizes gate_up_proj[e] as one tensor, then saves it split back into gate_proj / up_proj.
void run_concat(const PreparedUnit& p, const Context& c, UnitResult& r) {
  const QuantSlot& slot = p.slots.front();
  std::vector<at::Tensor> blocks;
  std::vector<int64_t> rows;
  for (const WorkTensor& t : p.unit->tensors) {
    blocks.push_back(load(*t.tensor, c));
    rows.push_back(t.tensor->shape.at(0));
  }
  const at::Tensor x = at::cat(blocks, 0);
  blocks.clear();
  auto amax = calibrate(
      slot, 1, [&](size_t) { return x; }, shape_of(x), r.amax);
  sweep_if_asked(slot, x, *p.unit->tensors[0].tensor, amax, r.amax);
  std::vector<at::Tensor> whole;
  if (p.algo)
    whole =
        pack(*p.algo, slot.stages[0], x, scalar_type(p.unit->tensors[0].tensor->dtype), amax[0]);
  else
    whole = {fake_quantize(x, slot, amax).to(scalar_type(p.unit->tensors[0].tensor->dtype))};
  for (size_t i = 0; i < rows.size(); ++i) {
    std::vector<at::Tensor> part;
    for (const at::Tensor& w : whole) part.push_back(part_of(w, rows, i));
    append_outputs(std::move(part), p, r);
  }
}

void run_shared(const PreparedUnit& p, const Context& c, UnitResult& r) {
  if (p.unit->concat_rows) return run_concat(p, c, r);
  const QuantSlot& slot = p.slots.front();
  const std::vector<WorkTensor>& tensors = p.unit->tensors;
  // A single weight is loaded once; a group is read twice (calibration, then quantization) so
  // that only one member is in memory at a time.
  const bool widen = !packs_stored(p, c);
  at::Tensor kept = tensors.size() == 1 ? load(*tensors[0].tensor, c, widen) : at::Tensor();
  auto input = [&](size_t i) { return kept.defined() ? kept : load(*tensors[i].tensor, c, widen); };
  auto amax = calibrate(slot, tensors.size(), input, tensors[0].tensor->shape, r.amax);
  if (tensors.size() == 1) sweep_if_asked(slot, kept, *tensors[0].tensor, amax, r.amax);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const at::Tensor x = input(i);
    if (p.algo) {
      append_outputs(
          pack(*p.algo, slot.stages[0], x, scalar_type(tensors[i].tensor->dtype), amax[0]), p, r);
    } else {
      const at::ScalarType dtype = scalar_type(tensors[i].tensor->dtype);
      append_outputs({fake_quantize(x, slot, amax).to(dtype)}, p, r);
    }
  }
}

// Fused [E, ...]: expert e calibrated and quantized on its own; per-tensor scales stacked to [E].
void run_fused(const PreparedUnit& p, const Context& c, UnitResult& r) {
  const TensorRef& t = *p.unit->tensors[0].tensor;
  const at::Tensor x = load(t, c, !packs_stored(p, c));  // all experts: E x the bf16 bytes
  std::vector<std::vector<at::Tensor>> parts;
  for (int64_t e = 0; e < x.size(0); ++e) {
    const QuantSlot& slot = p.slots[static_cast<size_t>(e)];
    const at::Tensor xe = x[e];
    if (!slot.quantizes()) {
      parts.push_back({xe.to(scalar_type(t.dtype))});
      continue;
    }
    auto amax = calibrate(
        slot, 1, [&](size_t) { return xe; }, shape_of(xe), r.amax);
    sweep_if_asked(slot, xe, t, amax, r.amax);
    if (p.algo)
      parts.push_back(pack(*p.algo, slot.stages[0], xe, scalar_type(t.dtype), amax[0]));
    else
      parts.push_back({fake_quantize(xe, slot, amax).to(scalar_type(t.dtype))});
  }
  // Stacked where they were computed (the packers give per-tensor scales on the host).
  std::vector<at::Tensor> stacked;
  for (size_t k = 0; k < parts.front().size(); ++k) {
    std::vector<at::Tensor> column;
    for (const auto& part : parts) column.push_back(part[k].to(x.device()));
    stacked.push_back(at::stack(column));
  }
  append_outputs(std::move(stacked), p, r);
}

// Members kept between calibration and packing up to this many fp32 bytes in all.
constexpr uint64_t kKeptGroupBytes = uint64_t{1} << 30;

}  // namespace

at::Tensor view_tensor(const TensorRef& t) {
  return at::from_blob(const_cast<uint8_t*>(t.data), t.shape,
                       at::TensorOptions().dtype(scalar_type(t.dtype)));
}

UnitResult compute_unit(const PreparedUnit& p, const at::Device& device, StageTimes* times) {
  UnitResult r;
  if (!p.quantizes()) return r;  // written straight from the mapping
  const Context c{device, times};
  if (p.unit->kind == WorkUnit::Kind::fused)
    run_fused(p, c, r);
  else
    run_shared(p, c, r);
  ops::synchronize_current_stream(device);  // the queued host copies of the outputs
  return r;
}

std::vector<UnitResult> compute_group(const std::vector<const PreparedUnit*>& units,
                                      const at::Device& device, StageTimes* times) {
  const Context c{device, times};
  uint64_t fp32_bytes = 0;
  for (const PreparedUnit* p : units) {
    if (p->unit->kind != WorkUnit::Kind::shared || p->unit->tensors.size() != 1 ||
        p->slots.size() != 1 || p->slots[0].stages.size() != 1 ||
        (!p->algo && p->slots[0].stages[0].kind != FormatKind::nvfp4_static))
      throw std::logic_error(
          "a sibling group member must be one single-stage weight, exported or static NVFP4");
    fp32_bytes += p->unit->tensors[0].tensor->nbytes /
                  static_cast<uint64_t>(float_dtype_size(p->unit->tensors[0].tensor->dtype)) * 4;
  }
  const bool keep = fp32_bytes <= kKeptGroupBytes;
  std::vector<UnitResult> results(units.size());
  std::vector<at::Tensor> kept(units.size());
  std::vector<StageAmax> amax(units.size());
  float group = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    const PreparedUnit& p = *units[i];
    const TensorRef& t = *p.unit->tensors[0].tensor;
    const at::Tensor x = load(t, c, !packs_stored(p, c));
    if (keep) kept[i] = x;
    amax[i] = calibrate(
        p.slots[0], 1, [&](size_t) { return x; }, t.shape, results[i].amax)[0];
    group = std::max(group, global_of(p.slots[0].stages[0], amax[i]));
  }
  for (size_t i = 0; i < units.size(); ++i) {
    const PreparedUnit& p = *units[i];
    const QuantFormat& f = p.slots[0].stages[0];
    const at::Tensor x = keep ? kept[i] : load(*p.unit->tensors[0].tensor, c, !packs_stored(p, c));
    kept[i] = at::Tensor();
    std::vector<StageAmax> stage{amax[i]};
    sweep_if_asked(p.slots[0], x, *p.unit->tensors[0].tensor, stage, results[i].amax, group);
    const at::ScalarType dtype = scalar_type(p.unit->tensors[0].tensor->dtype);
    if (p.algo) {
      append_outputs(pack(*p.algo, f, x, dtype, stage[0], group), p, results[i]);
    } else {
      stage[0].global = group;
      append_outputs({fake_quantize(x, p.slots[0], stage).to(dtype)}, p, results[i]);
    }
    AmaxRecord& rec = results[i].amax.front();
    rec.unified_with = p.unified_with;
    rec.calibrated = global_of(f, amax[i]);
    if (f.kind == FormatKind::nvfp4_static)
      rec.global_amax = group;
    else
      rec.values.assign(rec.values.size(), group);
  }
  ops::synchronize_current_stream(device);
  return results;
}

}  // namespace qcfg::runtime
