#include "lint/rules/export_plan.h"

#include <algorithm>
#include <set>
#include <stdexcept>
#include <unordered_map>

#include "checkpoint/hf_names.h"
#include "resolver/export_algo.h"

namespace qcfg::lint {
namespace {

std::optional<resolver::FormatSpec> format_of(const resolver::QuantizerNode& n) {
  if (n.sequential || n.disabled || !n.attributes) return std::nullopt;
  try {
    return resolver::parse_format_spec(*n.attributes);
  } catch (const resolver::FormatError&) {
    return std::nullopt;
  }
}

void note_kv(const resolver::Resolution& r, size_t q, ExportPrediction& out) {
  const resolver::QuantizerNode& n = r.quantizers[q].node;
  if (!out.kv_algo.empty() || n.sequential || n.disabled || !n.attributes) return;
  out.kv_algo = resolver::kv_cache_algo(read_quantizer_attributes(*n.attributes));
  out.kv_entry = n.last_cfg_entry;
}

// The checkpoint modules a weight quantizer's tensors belong to: `X.weight` -> `X`; a fused
// expert's quantizer has one tensor per row block on disk (`experts.0.gate_proj.weight`, ...).
std::vector<std::string> modules_of(const resolver::InventoryQuantizer& iq) {
  std::vector<std::string> out;
  if (iq.tensors.empty()) {
    // A names-only inventory (JSON without tensors): the name names the module.
    if (auto m = checkpoint::module_of_weight_quantizer(iq.name)) out.push_back(*m);
    return out;
  }
  for (const resolver::TensorInfo& t : iq.tensors) {
    const size_t dot = t.name.rfind('.');
    const std::string m = dot == std::string::npos ? t.name : t.name.substr(0, dot);
    if (std::find(out.begin(), out.end(), m) == out.end()) out.push_back(m);
  }
  return out;
}

void note_weight(const resolver::Resolution& r, size_t q,
                 const std::unordered_map<std::string, size_t>& index, ExportPrediction& out) {
  const resolver::InventoryQuantizer& iq = r.inventory->quantizers[q];
  const resolver::QuantizerNode& n = r.quantizers[q].node;
  const std::vector<std::string> modules = modules_of(iq);
  if (n.disabled) {
    out.unquantized.insert(out.unquantized.end(), modules.begin(), modules.end());
    return;
  }
  const auto weight = format_of(n);
  if (!weight) return;
  std::optional<resolver::FormatSpec> input;
  auto it = index.find(checkpoint::input_quantizer_for(iq.name));
  if (it != index.end()) input = format_of(r.quantizers[it->second].node);
  try {
    const resolver::ExportAlgo a = resolver::export_algo(*weight, input);
    for (const std::string& m : modules)
      out.quantized.push_back(
          {m, resolver::algo_name(a), resolver::algo_group_size(a, *weight), n.last_cfg_entry});
  } catch (const std::invalid_argument&) {
    // No export layout: `qcfg apply --mode export_hf` refuses it with its own error.
  }
}

}  // namespace

ExportPrediction predict_export(const resolver::Resolution& r) {
  ExportPrediction out;
  std::unordered_map<std::string, size_t> index;
  for (size_t q = 0; q < r.inventory->quantizers.size(); ++q)
    index.emplace(r.inventory->quantizers[q].name, q);
  const bool names_only =
      std::none_of(r.inventory->quantizers.begin(), r.inventory->quantizers.end(),
                   [](const resolver::InventoryQuantizer& q) { return !q.tensors.empty(); });
  for (size_t q = 0; q < r.inventory->quantizers.size(); ++q) {
    const resolver::InventoryQuantizer& iq = r.inventory->quantizers[q];
    if (resolver::is_kv_bmm_quantizer(iq.name)) note_kv(r, q, out);
    if (!iq.tensors.empty() || (names_only && checkpoint::module_of_weight_quantizer(iq.name)))
      note_weight(r, q, index, out);
  }
  out.unquantized.insert(out.unquantized.end(), r.inventory->replaced_routers.begin(),
                         r.inventory->replaced_routers.end());
  std::set<std::string> seen;  // fused experts of a names-only inventory: one module per param
  std::erase_if(out.quantized,
                [&](const ExportedModule& m) { return !seen.insert(m.module).second; });
  std::set<std::pair<std::string, int64_t>> formats;
  std::vector<std::string> quantized;
  for (const ExportedModule& m : out.quantized) {
    formats.insert({m.algo, m.group_size});
    quantized.push_back(m.module);
  }
  out.mixed_precision = resolver::is_mixed_precision(formats.size());
  if (out.mixed_precision)
    out.quant_algo = resolver::kMixedPrecision;
  else if (!formats.empty())
    out.quant_algo = formats.begin()->first;
  if (!out.mixed_precision)
    out.exclude_modules = resolver::exclude_patterns(out.unquantized, quantized);
  return out;
}

}  // namespace qcfg::lint
