#include "runtime/apply.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "checkpoint/config.h"
#include "checkpoint/safetensors.h"
#include "compiler/closest_names.h"
#include "kernels/torch/streams.h"
#include "kernels/torch/tensor_ops.h"
#include "runtime/amax_report.h"
#include "runtime/checkpoint.h"
#include "runtime/compute.h"
#include "runtime/devices.h"
#include "runtime/hf_config.h"
#include "runtime/output_files.h"
#include "runtime/progress.h"

namespace qcfg::runtime {
namespace {

namespace fs = std::filesystem;

constexpr const char* kVersion = "qcfg-0.1.0";

// Experts a grouped module must have (config.json), 0 when it does not say.
int64_t expected_experts(const std::string& model_dir) {
  try {
    const std::optional<checkpoint::CheckpointConfig> c =
        checkpoint::read_checkpoint_config(model_dir);
    return c ? c->experts : 0;
  } catch (const checkpoint::LocatedError& e) {
    throw ApplyError(e.what());
  }
}

// Output files, each laid out fully before compute starts.
struct ShardWriters {
  std::map<std::string, std::unique_ptr<SafetensorsWriter>> by_shard;
  // unit index -> (writer, first tensor index in it)
  std::vector<std::pair<SafetensorsWriter*, size_t>> unit_slot;
  std::map<std::string, std::string> weight_map;
  uint64_t total = 0;
};

ShardWriters open_writers(const Prepared& p, const StagingDir& dir, bool durable) {
  std::map<std::string, std::vector<OutputTensor>> lists;
  std::vector<std::pair<std::string, size_t>> unit_pos;
  for (const PreparedUnit& u : p.units) {
    auto& list = lists[u.shard];
    unit_pos.emplace_back(u.shard, list.size());
    list.insert(list.end(), u.outputs.begin(), u.outputs.end());
  }
  for (const ScalarOutput& s : p.scalars) lists[s.shard].push_back({s.name, "F32", {}});
  ShardWriters w;
  for (auto& [shard, list] : lists) {
    for (const OutputTensor& t : list) {
      w.weight_map[t.name] = shard;
      w.total += t.nbytes();
    }
    w.by_shard[shard] =
        std::make_unique<SafetensorsWriter>(dir.file(shard), std::move(list), durable);
  }
  for (const auto& [shard, first] : unit_pos)
    w.unit_slot.emplace_back(w.by_shard[shard].get(), first);
  return w;
}

void write_scalars(const Prepared& p, ShardWriters& w) {
  std::map<std::string, size_t> next;  // scalars follow the units' tensors in each shard
  for (const PreparedUnit& u : p.units) next[u.shard] += u.outputs.size();
  for (const ScalarOutput& s : p.scalars) {
    const float v = s.value;
    w.by_shard[s.shard]->write(next[s.shard]++, &v, sizeof v);
  }
}

// Work items in the order the workers take them: as prepared for one device; largest first for
// several, so that the devices, each taking the next item when free, finish together. Every item
// writes to its own place in the output, so the order changes no byte of it.
std::vector<size_t> work_order(const Prepared& p, size_t devices) {
  std::vector<size_t> order(p.work.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (devices < 2) return order;
  std::vector<uint64_t> bytes(p.work.size(), 0);
  for (size_t i = 0; i < p.work.size(); ++i)
    for (size_t u : p.work[i]) bytes[i] += p.units[u].unit->bytes();
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return bytes[a] > bytes[b]; });
  return order;
}

// The worker loop: work items (a unit, or a sibling group computed together) taken in order by
// `jobs` threads per device; each reads, computes and writes its own tensors, so reading, compute
// and writing of different items overlap, and the devices share one queue.
class Runner {
 public:
  Runner(const Prepared& p, ShardWriters& w, std::vector<at::Device> devices, Progress& progress,
         AmaxReport& report, StageTimes& times)
      : p_(p), w_(w), devices_(std::move(devices)), order_(work_order(p, devices_.size())),
        progress_(progress), report_(report), times_(times) {}

  void run(int jobs) {
    std::vector<std::thread> threads;
    for (const at::Device& device : devices_)
      for (int i = 0; i < std::max(1, jobs); ++i)
        threads.emplace_back([this, device] { loop(device); });
    for (std::thread& t : threads) t.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void loop(const at::Device& device) {
    const tensor_ops::WorkerStream stream(device);  // jobs overlap on the GPU too
    for (size_t k = next_++; k < order_.size() && !failed_; k = next_++) {
      const size_t i = order_[k];
      try {
        if (p_.work[i].size() == 1)
          run_unit(p_.work[i][0], device);
        else
          run_group(p_.work[i], device);
      } catch (const ApplyError&) {
        fail(std::current_exception());
      } catch (const std::exception& e) {  // kernels and writers: say which tensor it was
        fail(std::make_exception_ptr(ApplyError(work_name(i) + ": " + e.what())));
      } catch (...) {
        fail(std::current_exception());
      }
    }
  }

  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!error_) error_ = std::move(e);
    failed_ = true;
  }

  std::string work_name(size_t i) const {
    const WorkUnit& u = *p_.units[p_.work[i][0]].unit;
    return "tensor '" + u.tensors[0].tensor->name + "'" +
           (p_.work[i].size() > 1 ? " (and its siblings)" : "");
  }

  void run_unit(size_t i, const at::Device& device) {
    const PreparedUnit& u = p_.units[i];
    auto [writer, first] = w_.unit_slot[i];
    if (!u.quantizes()) {
      const StageTimer timer(&times_, Stage::write);
      for (size_t k = 0; k < u.unit->tensors.size(); ++k) {
        const TensorRef& t = *u.unit->tensors[k].tensor;
        if (u.outputs[k].dtype == t.dtype) {
          writer->write(first + k, t.data, t.nbytes);
        } else {  // widened to F32 as transformers loads it (PreparedUnit outputs)
          const at::Tensor f = view_tensor(t).to(at::kFloat).contiguous();
          writer->write(first + k, f.data_ptr(), static_cast<uint64_t>(f.numel()) * 4);
        }
        Checkpoint::release(t);
      }
    } else {
      UnitResult r;
      {
        const StageTimer timer(&times_, Stage::unit);
        r = compute_unit(u, device, &times_);
      }
      const StageTimer timer(&times_, Stage::write);
      for (size_t k = 0; k < r.outputs.size(); ++k)
        writer->write(first + k, r.outputs[k].data_ptr(),
                      static_cast<uint64_t>(r.outputs[k].numel()) * r.outputs[k].element_size());
      for (const WorkTensor& t : u.unit->tensors) Checkpoint::release(*t.tensor);
      report_.add(std::move(r.amax));
    }
    progress_.advance(u.unit->bytes());
  }

  // Siblings whose weight amax is unified: computed together, each member's outputs written to
  // its own unit's place (the shard of its source weight).
  void run_group(const std::vector<size_t>& item, const at::Device& device) {
    std::vector<const PreparedUnit*> units;
    for (size_t i : item) units.push_back(&p_.units[i]);
    std::vector<UnitResult> results;
    {
      const StageTimer timer(&times_, Stage::unit);
      results = compute_group(units, device, &times_);
    }
    for (size_t m = 0; m < item.size(); ++m) {
      auto [writer, first] = w_.unit_slot[item[m]];
      {
        const StageTimer timer(&times_, Stage::write);
        const std::vector<at::Tensor>& out = results[m].outputs;
        for (size_t k = 0; k < out.size(); ++k)
          writer->write(first + k, out[k].data_ptr(),
                        static_cast<uint64_t>(out[k].numel()) * out[k].element_size());
        for (const WorkTensor& t : units[m]->unit->tensors) Checkpoint::release(*t.tensor);
      }
      report_.add(std::move(results[m].amax));
      progress_.advance(units[m]->unit->bytes());
    }
  }

  const Prepared& p_;
  ShardWriters& w_;
  std::vector<at::Device> devices_;
  std::vector<size_t> order_;
  Progress& progress_;
  AmaxReport& report_;
  StageTimes& times_;
  std::atomic<size_t> next_{0};
  std::atomic<bool> failed_{false};
  std::mutex mutex_;
  std::exception_ptr error_;
};

void print_activation_notes(const Prepared& p) {
  if (!p.calibration_needed.empty()) {
    fmt::print(stderr,
               "qcfg: note: {} activation quantizer(s) need calibration data; this weight-only "
               "run writes no scale for them (give static amax with --act-amax FILE):\n",
               p.calibration_needed.size());
    const size_t shown = std::min<size_t>(p.calibration_needed.size(), 8);
    for (size_t i = 0; i < shown; ++i) fmt::print(stderr, "  {}\n", p.calibration_needed[i]);
    if (shown < p.calibration_needed.size())
      fmt::print(stderr, "  ... and {} more\n", p.calibration_needed.size() - shown);
  }
  if (!p.rotated_inputs.empty())
    fmt::print(stderr,
               "qcfg: note: {} module(s) hold rotated weights Q(W*H): their inputs must be "
               "rotated at inference (listed in qcfg_runtime.json)\n",
               p.rotated_inputs.size());
}

void write_configs(const Prepared& p, const ApplyOptions& o, const StagingDir& dir,
                   std::set<std::string>& written) {
  if (o.mode != Mode::export_hf) return;
  const OrderedJson hf = hf_quant_config(p, kVersion);
  if (hf.is_null()) return;
  dir.write_json("hf_quant_config.json", hf);
  written.insert("hf_quant_config.json");
  const fs::path config = fs::path(o.model_dir) / checkpoint::kConfigFile;
  std::error_code ec;
  if (!fs::exists(config, ec)) return;
  OrderedJson c = read_json_file(config.string());
  c["quantization_config"] = config_quantization(hf);
  dir.write_json("config.json", c);
  written.insert("config.json");
}

}  // namespace

int default_jobs() {
  const auto threads = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(threads / 2, 2, 8);
}

std::map<std::string, float> read_act_amax(const std::string& path) {
  const OrderedJson j = read_json_file(path);
  if (!j.is_object())
    throw ApplyError(path + ": expected {\"<activation quantizer name>\": amax, ...}");
  std::map<std::string, float> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    // JSON has no NaN or inf (and the parser refuses 1e999), but a double beyond float's range
    // becomes inf as a float.
    if (!it->is_number() || !(it->get<double>() >= 0) || !std::isfinite(it->get<float>()))
      throw ApplyError(path + ": '" + it.key() +
                       "' must map to a finite non-negative number (an amax), not " + it->dump());
    out[it.key()] = it->get<float>();
  }
  return out;
}

namespace {

float amax_value(const OrderedJson& v, const std::string& path, const std::string& key) {
  if (!v.is_number() || !(v.get<double>() >= 0) || !std::isfinite(v.get<float>()))
    throw ApplyError(path + ": '" + key +
                     "': amax values must be finite non-negative numbers, not " + v.dump());
  return v.get<float>();
}

}  // namespace

std::map<std::string, GivenWeightAmax> read_weight_amax(const std::string& path) {
  const OrderedJson j = read_json_file(path);
  const std::string shape =
      ": expected {\"<weight quantizer name>\": {\"amax\": [...], "
      "\"global_amax\": g}, ...}";
  if (!j.is_object()) throw ApplyError(path + shape);
  std::map<std::string, GivenWeightAmax> out;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const auto amax = it->find("amax");
    if (!it->is_object() || amax == it->end() || !amax->is_array()) throw ApplyError(path + shape);
    GivenWeightAmax given;
    for (const OrderedJson& v : *amax) given.amax.push_back(amax_value(v, path, it.key()));
    if (const auto g = it->find("global_amax"); g != it->end())
      given.global_amax = amax_value(*g, path, it.key());
    out[it.key()] = std::move(given);
  }
  return out;
}

namespace {

// Every --weight-amax key must name a quantized weight of this plan on this checkpoint.
void check_weight_amax_names(const ApplyOptions& o, const Prepared& prepared) {
  std::set<std::string> used;
  for (const PreparedUnit& p : prepared.units)
    for (const QuantSlot& s : p.slots)
      if (s.given != nullptr) used.insert(s.quantizer->name);
  for (const auto& [key, given] : o.weight_amax)
    if (!used.count(key))
      throw ApplyError(
          fmt::format("{}: '{}' names no quantized weight of this model", o.weight_amax_file, key));
}

// Every --act-amax key must name an activation quantizer of this model: a key under another
// naming (per-expert vs fused experts, a typo, another model) would otherwise be ignored and the
// scale it was meant for silently left out.
void check_act_amax_names(const ApplyOptions& o, const Binding& binding) {
  std::vector<std::string> names;
  for (const ActivationQuantizer& a : binding.activations) names.push_back(a.quantizer->name);
  const std::set<std::string> known(names.begin(), names.end());
  for (const auto& [key, amax] : o.act_amax) {
    if (known.count(key)) continue;
    const std::vector<std::string> near = closest_names(key, names);
    throw ApplyError(fmt::format(
        "{}: '{}' names no activation quantizer of this model{}", o.act_amax_file, key,
        near.empty() ? std::string("") : "; closest: " + fmt::format("{}", fmt::join(near, ", "))));
  }
}

}  // namespace

bool apply_plan(const Plan& plan, const ApplyOptions& o, Diagnostics& diags,
                ApplySummary* summary) {
  check_output_path(o.model_dir, o.out_dir);
  const std::vector<at::Device> devices = pick_devices(o.device, o.devices);
  Checkpoint ckpt = [&] {
    try {
      return Checkpoint::open(o.model_dir);
    } catch (const CheckpointError& e) {
      throw ApplyError(e.what());
    }
  }();
  const Binding binding =
      bind_plan(plan, ckpt, expected_experts(o.model_dir), diags, o.expert_layout);
  if (diags.has_errors()) return false;
  check_act_amax_names(o, binding);
  const Prepared prepared = prepare(binding, o.mode, o.act_amax, diags, o.weights, &o.weight_amax);
  if (diags.has_errors()) return false;
  check_weight_amax_names(o, prepared);
  print_activation_notes(prepared);

  StagingDir staging(o.out_dir, o.sync);
  ShardWriters writers = open_writers(prepared, staging, o.sync);
  Progress progress(prepared.units.size(), ckpt.total_bytes(), o.progress);
  AmaxReport report;
  StageTimes times;
  Runner(prepared, writers, devices, progress, report, times).run(o.jobs);
  write_scalars(prepared, writers);
  {
    const StageTimer timer(&times, Stage::flush);
    for (auto& [shard, w] : writers.by_shard) w->close();
  }
  progress.finish();

  std::set<std::string> written(ckpt.shard_files().begin(), ckpt.shard_files().end());
  const std::string index_file(checkpoint::kIndexFile);
  written.insert(index_file);
  if (ckpt.sharded())
    staging.write_json(index_file, shard_index_json(writers.weight_map, writers.total));
  staging.write_json("qcfg_runtime.json", report.json(plan, prepared, devices_label(devices)));
  written.insert("qcfg_runtime.json");
  write_configs(prepared, o, staging, written);
  copy_other_files(o.model_dir, staging, written);
  staging.commit();
  if (summary != nullptr) {
    summary->units = prepared.units.size();
    for (const PreparedUnit& u : prepared.units) summary->quantized_units += u.quantizes();
    summary->bytes_read = ckpt.total_bytes();
    summary->bytes_written = writers.total;
    summary->seconds = progress.seconds();
    summary->device = devices_label(devices);
    summary->read_seconds = times.seconds(Stage::read);
    summary->compute_seconds = times.seconds(Stage::unit) - times.seconds(Stage::read);
    summary->write_seconds = times.seconds(Stage::write);
    summary->flush_seconds = times.seconds(Stage::flush);
  }
  return true;
}

}  // namespace qcfg::runtime
