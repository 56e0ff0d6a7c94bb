#include "runtime/hf_config.h"

#include <algorithm>
#include <map>
#include <set>

namespace qcfg::runtime {
namespace {

// "model.layers.12.mlp.gate" -> "model.layers.*.mlp.gate".
std::string shape_of_name(const std::string& name) {
  std::string out;
  size_t i = 0;
  while (i < name.size()) {
    const size_t end = std::min(name.find('.', i), name.size());
    const std::string seg = name.substr(i, end - i);
    const bool digits = !seg.empty() && seg.find_first_not_of("0123456789") == std::string::npos;
    out += digits ? "*" : seg;
    if (end < name.size()) out += '.';
    i = end + 1;
  }
  return out;
}

OrderedJson weights_group(const std::string& algo, int64_t group_size) {
  if (algo == "FP8") return {{"dynamic", false}, {"num_bits", 8}, {"type", "float"}};
  return {{"dynamic", false}, {"num_bits", 4}, {"type", "float"}, {"group_size", group_size}};
}

}  // namespace

std::vector<std::string> exclude_patterns(const std::vector<std::string>& unquantized,
                                          const std::vector<std::string>& quantized) {
  std::set<std::string> quantized_shapes;
  for (const std::string& q : quantized) quantized_shapes.insert(shape_of_name(q));
  std::set<std::string> out;
  for (const std::string& u : unquantized) {
    const std::string shape = shape_of_name(u);
    out.insert(quantized_shapes.count(shape) ? u : shape);
  }
  return {out.begin(), out.end()};
}

OrderedJson hf_quant_config(const Prepared& p, const std::string& version) {
  std::set<std::string> algos;
  std::vector<std::string> quantized;
  for (const auto& [module, info] : p.quantized_modules) {
    algos.insert(info.algo);
    quantized.push_back(module);
  }
  if (algos.empty() && !p.kv_cache_algo) return nullptr;
  OrderedJson q = OrderedJson::object();
  q["quant_algo"] = algos.empty()       ? OrderedJson(nullptr)
                    : algos.size() == 1 ? OrderedJson(*algos.begin())
                                        : OrderedJson("MIXED_PRECISION");
  q["kv_cache_quant_algo"] = p.kv_cache_algo ? OrderedJson(*p.kv_cache_algo) : OrderedJson(nullptr);
  if (algos.size() == 1) {
    const int64_t group = p.quantized_modules.begin()->second.group_size;
    if (group > 0) q["group_size"] = group;
  } else if (algos.size() > 1) {
    OrderedJson layers = OrderedJson::object();
    for (const auto& [module, info] : p.quantized_modules) {
      layers[module] = {{"quant_algo", info.algo}};
      if (info.group_size > 0) layers[module]["group_size"] = info.group_size;
    }
    q["quantized_layers"] = std::move(layers);
  }
  q["exclude_modules"] = exclude_patterns(p.unquantized_modules, quantized);
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
  if (algo == "FP8" || algo == "NVFP4" || algo == "W4A16_NVFP4") {
    OrderedJson g = {{"weights", weights_group(algo, group)}, {"targets", {"Linear"}}};
    if (algo != "W4A16_NVFP4") g["input_activations"] = weights_group(algo, group);
    c["config_groups"] = {{"group_0", g}};
  }
  return c;
}

}  // namespace qcfg::runtime
