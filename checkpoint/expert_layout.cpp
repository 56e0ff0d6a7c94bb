#include "checkpoint/expert_layout.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "checkpoint/config.h"
#include "checkpoint/hf_names.h"

namespace qcfg::checkpoint {
namespace {

// transformers 5's `_MODEL_TO_CONVERSION_PATTERN` and the direct entries of
// `_build_checkpoint_conversion_mapping` (src/transformers/conversion_mapping.py) whose experts
// keep the checkpoint's [out, in] row layout. Left out: qwen3_vl_moe (it also transposes the
// fused tensor, so blocks would run along the other dim) and ernie4_5_vl_moe (splits experts
// between two modules). router_replaced only where the goldens show it (no router quantizer in
// ModelOpt 0.47's model: tests/modelopt/runs/{qwen2_moe,qwen3_moe,mixtral,deepseek_v3}__*).
const FusedExpertRule kQwen2Moe{"mlp", "mlp", {"gate_proj", "up_proj"}, "down_proj", true};
const FusedExpertRule kQwen2MoeLinearRouter{
    "mlp", "mlp", {"gate_proj", "up_proj"}, "down_proj", false};
const FusedExpertRule kMixtral{"block_sparse_moe", "mlp", {"w1", "w3"}, "w2", true};
const FusedExpertRule kMixtralLinearRouter{"block_sparse_moe", "mlp", {"w1", "w3"}, "w2", false};
const FusedExpertRule kFeedForwardW{"feed_forward", "feed_forward", {"w1", "w3"}, "w2", false};
const FusedExpertRule kFeedForward{
    "feed_forward", "feed_forward", {"gate_proj", "up_proj"}, "down_proj", false};

const std::map<std::string, const FusedExpertRule*>& rules_by_model_type() {
  static const std::map<std::string, const FusedExpertRule*> rules = {
      {"mixtral", &kMixtral},
      {"minimax", &kMixtralLinearRouter},
      {"minimax_m2", &kMixtralLinearRouter},
      {"qwen2_moe", &kQwen2Moe},
      {"qwen3_moe", &kQwen2Moe},
      {"deepseek_v3", &kQwen2Moe},
      {"deepseek_v2", &kQwen2MoeLinearRouter},
      {"dots1", &kQwen2MoeLinearRouter},
      {"ernie4_5_moe", &kQwen2MoeLinearRouter},
      {"glm4_moe", &kQwen2MoeLinearRouter},
      {"glm4_moe_lite", &kQwen2MoeLinearRouter},
      {"glm4v_moe", &kQwen2MoeLinearRouter},
      {"longcat_flash", &kQwen2MoeLinearRouter},
      {"solar_open", &kQwen2MoeLinearRouter},
      {"qwen3_omni_moe", &kQwen2MoeLinearRouter},
      {"qwen3_omni_moe_thinker", &kQwen2MoeLinearRouter},
      {"qwen3_next", &kQwen2MoeLinearRouter},
      {"hunyuan_v1_moe", &kQwen2MoeLinearRouter},
      {"flex_olmo", &kQwen2MoeLinearRouter},
      {"olmoe", &kQwen2MoeLinearRouter},
      {"lfm2_moe", &kFeedForwardW},
      {"jamba", &kFeedForward},
  };
  return rules;
}

// Leading integer of "5.17.0" / "5.0.0.dev0"; 0 when there is none.
int major_version(const std::string& v) {
  int major = 0;
  size_t i = 0;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9' && i < 6; ++i)
    major = major * 10 + (v[i] - '0');
  return i == 0 ? 0 : major;
}

std::vector<std::string> split_dots(const std::string& name) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = name.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(name.substr(start, dot - start));
  parts.push_back(name.substr(start));
  return parts;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

ExpertLayout parse_expert_layout(const std::string& text) {
  if (text == "auto") return ExpertLayout::automatic;
  if (text == "fused") return ExpertLayout::fused;
  if (text == "per-expert") return ExpertLayout::per_expert;
  throw std::invalid_argument("--expert-layout must be one of auto, fused, per-expert (got '" +
                              text + "')");
}

const FusedExpertRule* fused_expert_rule(ExpertLayout layout,
                                         const std::optional<CheckpointConfig>& config) {
  if (layout == ExpertLayout::per_expert || !config) return nullptr;
  auto it = rules_by_model_type().find(config->model_type);
  if (it == rules_by_model_type().end()) return nullptr;
  if (layout == ExpertLayout::automatic && major_version(config->transformers_version) < 5)
    return nullptr;
  return it->second;
}

std::optional<FusedExpertSlot> fused_expert_slot(const FusedExpertRule& rule,
                                                 const std::string& tensor_name) {
  const std::vector<std::string> p = split_dots(tensor_name);
  const size_t n = p.size();
  if (n < 5 || p[n - 1] != "weight" || !index_digits(p[n - 3]) || p[n - 4] != "experts" ||
      p[n - 5] != rule.checkpoint_block)
    return std::nullopt;
  FusedExpertSlot s;
  const std::string& proj = p[n - 2];
  auto part = std::find(rule.gate_up.begin(), rule.gate_up.end(), proj);
  if (part != rule.gate_up.end()) {
    s.param = "gate_up_proj";
    s.part = static_cast<int>(part - rule.gate_up.begin());
  } else if (proj == rule.down) {
    s.param = "down_proj";
  } else {
    return std::nullopt;
  }
  s.expert = std::stoll(p[n - 3]);
  for (size_t i = 0; i + 5 < n; ++i) s.experts_module += p[i] + ".";
  s.experts_module += rule.tree_block + ".experts";
  return s;
}

bool is_replaced_router(const FusedExpertRule& rule, const std::string& module) {
  return rule.router_replaced && ends_with(module, "." + rule.checkpoint_block + ".gate");
}

std::string fused_weight_quantizer_name(const FusedExpertSlot& s) {
  return s.experts_module + "." + s.param + "_weight_quantizers." + std::to_string(s.expert);
}

std::string fused_input_quantizer_name(const FusedExpertSlot& s) {
  return s.experts_module + "." + s.param + "_input_quantizer";
}

}  // namespace qcfg::checkpoint
