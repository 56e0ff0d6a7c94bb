#include "runtime/hf_config.h"

#include <algorithm>
#include <map>
#include <set>

namespace qcfg::runtime {
namespace {

// Per-layer fields of one export algorithm, as ModelOpt's process_layer_quant_config writes them.
OrderedJson layer_config(const std::string& algo, int64_t group_size) {
  OrderedJson c = {{"quant_algo", algo}};
  if (group_size > 0) c["group_size"] = group_size;
  const resolver::ExportAlgoInfo* row = resolver::export_algo_named(algo);
  if (row != nullptr && row->awq_flags) {
    c["has_zero_point"] = false;  // INT4 blocks are reported as AWQ, whether or not AWQ ran
    c["pre_quant_scale"] = true;
  }
  return c;
}

// One side of a config group: FP8 per tensor (no group), or 4-bit floats in groups.
OrderedJson weights_group(const resolver::ExportAlgoInfo& row, int64_t group_size) {
  OrderedJson g = {{"dynamic", false}, {"num_bits", row.config_num_bits}, {"type", "float"}};
  if (row.group_size != resolver::GroupSize::none) g["group_size"] = group_size;
  return g;
}

}  // namespace

OrderedJson hf_quant_config(const Prepared& p, const std::string& version) {
  // Formats are told apart by their whole per-layer config (algorithm and group size), as
  // ModelOpt does; more than one is MIXED_PRECISION, listed per layer with no exclude list.
  std::set<std::string> formats;
  std::vector<std::string> quantized;
  OrderedJson layers = OrderedJson::object();
  for (const auto& [module, info] : p.quantized_modules) {
    layers[module] = layer_config(info.algo, info.group_size);
    formats.insert(layers[module].dump());
    quantized.push_back(module);
  }
  if (formats.empty() && !p.kv_cache_algo) return nullptr;
  OrderedJson q = OrderedJson::object();
  q["quant_algo"] = formats.empty() ? OrderedJson(nullptr) : OrderedJson(resolver::kMixedPrecision);
  q["kv_cache_quant_algo"] = p.kv_cache_algo ? OrderedJson(*p.kv_cache_algo) : OrderedJson(nullptr);
  if (resolver::is_mixed_precision(formats.size())) {
    q["quantized_layers"] = std::move(layers);
  } else {
    if (formats.size() == 1) q.update(OrderedJson::parse(*formats.begin()));
    q["exclude_modules"] = exclude_patterns(p.unquantized_modules, quantized);
  }
  return {{"producer", {{"name", "modelopt"}, {"version", version}}}, {"quantization", q}};
}

OrderedJson config_quantization(const OrderedJson& hf) {
  const OrderedJson& q = hf.at("quantization");
  OrderedJson c = OrderedJson::object();
  c["quant_method"] = "modelopt";
  c["quant_algo"] = q.at("quant_algo");
  c["ignore"] = q.value("exclude_modules", OrderedJson::array());
  c["producer"] = hf.at("producer");
  const OrderedJson& kv = q.at("kv_cache_quant_algo");
  if (kv == "FP8")
    c["kv_cache_scheme"] = {{"dynamic", false}, {"num_bits", 8}, {"type", "float"}};
  else if (!kv.is_null())
    c["kv_cache_scheme"] = kv;
  const std::string algo =
      q.at("quant_algo").is_string() ? q.at("quant_algo").get<std::string>() : std::string();
  const int64_t group = q.value("group_size", int64_t{16});
  const resolver::ExportAlgoInfo* row = resolver::export_algo_named(algo);
  if (row != nullptr && row->config_group != resolver::ConfigGroup::none) {
    OrderedJson g = {{"weights", weights_group(*row, group)}, {"targets", {"Linear"}}};
    if (row->config_group == resolver::ConfigGroup::weights_and_inputs)
      g["input_activations"] = weights_group(*row, group);
    c["config_groups"] = {{"group_0", g}};
  }
  return c;
}

}  // namespace qcfg::runtime
