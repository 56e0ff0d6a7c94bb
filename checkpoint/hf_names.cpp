#include "checkpoint/hf_names.h"

#include <algorithm>
#include <array>
#include <map>

namespace qcfg::checkpoint {
namespace {

constexpr std::string_view kWeightSuffix = "weight_quantizer";
constexpr std::string_view kPerExpertSuffix = "weight_quantizers.";
constexpr std::string_view kInputSuffix = "input_quantizer";

using G = SiblingGroup;

// The one projection table. query/key/value (BERT) group as q/k/v do, but their parent is
// `attention.self`, which ModelOpt's attention plugin does not name as qcfg's derivation looks
// for, so they mark no attention module; the DeepSeek MLA down-projections read the attention's
// input, so ModelOpt's export unifies them as it does q/k/v (tests/modelopt goldens, deepseek_v3
// NVFP4 weight_scale_2).
constexpr std::array<ProjectionName, 16> kProjections = {{
    {"q_proj", G::qkv, true, true},
    {"k_proj", G::qkv, true, true},
    {"v_proj", G::qkv, true, true},
    {"query", G::qkv, false, false},
    {"key", G::qkv, false, false},
    {"value", G::qkv, false, false},
    {"q_a_proj", G::qkv, true, false},
    {"kv_a_proj_with_mqa", G::qkv, true, false},
    {"qkv_proj", G::none, true, false},
    {"query_key_value", G::none, true, false},
    {"c_attn", G::none, true, false},
    {"Wqkv", G::none, true, false},
    {"gate_proj", G::gate_up, false, true},
    {"up_proj", G::gate_up, false, true},
    {"w1", G::w1_w3, false, true},
    {"w3", G::w1_w3, false, true},
}};

std::string_view group_suffix(SiblingGroup g) {
  switch (g) {
    case G::qkv:
      return "qkv";
    case G::gate_up:
      return "gate_up";
    case G::w1_w3:
      return "w1_w3";
    case G::none:
      break;
  }
  return "";
}

bool ends_with(std::string_view s, std::string_view tail) {
  return s.size() >= tail.size() && s.substr(s.size() - tail.size()) == tail;
}

// A fused parameter (`gate_up_proj`) names its scales after itself; a weight param does not.
bool names_own_scales(const std::string& param) { return !is_weight_param(param); }

std::string dotted(const std::string& module) { return module.empty() ? "" : module + "."; }

}  // namespace

std::pair<std::string, std::string> split_last(const std::string& name) {
  const size_t dot = name.rfind('.');
  if (dot == std::string::npos) return {"", name};
  return {name.substr(0, dot), name.substr(dot + 1)};
}

bool index_digits(std::string_view s) {
  return !s.empty() && s.size() < 10 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<int64_t> grouped_weight_index(std::string_view param) {
  if (param.size() <= 6 || param.substr(0, 6) != "weight" || !index_digits(param.substr(6)))
    return std::nullopt;
  int64_t n = 0;
  for (char c : param.substr(6)) n = n * 10 + (c - '0');
  return n;
}

bool is_weight_param(std::string_view param) {
  return param == "weight" || grouped_weight_index(param).has_value();
}

bool is_fused_expert_param(std::string_view param) {
  static constexpr std::array<std::string_view, 7> kParams = {
      "gate_up_proj", "down_proj", "up_proj", "gate_proj", "w1", "w2", "w3"};
  return std::find(kParams.begin(), kParams.end(), param) != kParams.end();
}

std::optional<WeightQuantizerName> parse_weight_quantizer_name(std::string_view name) {
  if (ends_with(name, kWeightSuffix))
    return WeightQuantizerName{std::string(name.substr(0, name.size() - kWeightSuffix.size())),
                               false};
  const size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || !index_digits(name.substr(dot + 1))) return std::nullopt;
  const std::string_view head = name.substr(0, dot + 1);  // "...<p>_weight_quantizers."
  if (!ends_with(head, kPerExpertSuffix)) return std::nullopt;
  const std::string_view stem = head.substr(0, head.size() - kPerExpertSuffix.size());
  if (!ends_with(stem, "_")) return std::nullopt;
  return WeightQuantizerName{std::string(stem), true};
}

bool is_weight_quantizer_name(std::string_view name) {
  return parse_weight_quantizer_name(name).has_value();
}

std::string input_quantizer_for(const std::string& weight_quantizer) {
  const auto w = parse_weight_quantizer_name(weight_quantizer);
  return w ? w->stem + std::string(kInputSuffix) : "";
}

std::vector<std::string> weight_quantizers_for_input(const std::string& input_quantizer) {
  if (!ends_with(input_quantizer, kInputSuffix)) return {};
  const std::string stem = input_quantizer.substr(0, input_quantizer.size() - kInputSuffix.size());
  return {stem + std::string(kWeightSuffix), stem + std::string(kPerExpertSuffix) + "0"};
}

std::optional<std::string> module_of_weight_quantizer(std::string_view name) {
  const auto w = parse_weight_quantizer_name(name);
  if (!w) return std::nullopt;
  if (!w->per_expert && !ends_with(w->stem, ".")) return std::nullopt;
  return w->stem.substr(0, w->stem.size() - 1);  // drop the '.' or the '_'
}

std::span<const ProjectionName> projection_names() { return kProjections; }

const ProjectionName* projection(std::string_view leaf) {
  for (const ProjectionName& p : kProjections)
    if (p.leaf == leaf) return &p;
  return nullptr;
}

std::string sibling_group_key(const std::string& module) {
  const auto [parent, leaf] = split_last(module);
  const ProjectionName* p = projection(leaf);
  if (p == nullptr || p->group == G::none) return "";
  return dotted(parent) + std::string(group_suffix(p->group));
}

int registration_rank(std::string_view segment) {
  static const std::map<std::string_view, int> ranks = {
      {"embed_tokens", 0}, {"self_attn", 10},     {"mlp", 20},    {"q_proj", 0},
      {"k_proj", 1},       {"v_proj", 2},         {"o_proj", 3},  {"gate", 4},
      {"gate_proj", 5},    {"gate_up_proj", 5},   {"up_proj", 6}, {"down_proj", 7},
      {"experts", 8},      {"shared_experts", 9}, {"norm", 900},  {"lm_head", 1000}};
  auto it = ranks.find(segment);
  return it == ranks.end() ? 100 : it->second;
}

std::string scale_name(const std::string& module, const std::string& param,
                       const std::string& suffix) {
  const std::string base = names_own_scales(param) ? param + "_weight" : param;
  return dotted(module) + base + suffix;
}

std::string input_scale_name(const std::string& module, const std::string& param) {
  return dotted(module) + (names_own_scales(param) ? param + "_input_scale" : "input_scale");
}

KvScaleName kv_scale_name(const std::string& attention_prefix, bool key) {
  const std::string proj = attention_prefix + (key ? "k_proj." : "v_proj.");
  return {proj + (key ? "k_scale" : "v_scale"), proj + "weight"};
}

}  // namespace qcfg::checkpoint
