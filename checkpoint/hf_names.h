// The naming conventions of Hugging Face checkpoints and of ModelOpt's quantizers on them, in one
// place: which parameter names are weights (`weight`, grouped `weightN`), how a weight quantizer's
// name relates to its module and input quantizer, the projection names (attention inputs,
// sibling groups whose amax an export unifies, ModelOpt's shared static-NVFP4 amax), the names of
// exported scales and KV-cache scales. The resolver's inventory derivation, the linter and the
// runtime all ask here; tests/checkpoint/hf_names_test.cpp enumerates the table against them.
// The expert layouts of transformers 5 are the other half of the convention (expert_layout.h).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace qcfg::checkpoint {

// A dotted name cut at its last dot: ("a.b", "c"); ("", name) without a dot.
std::pair<std::string, std::string> split_last(const std::string& name);

// 1 to 9 ASCII digits: an index in a name (`weight3`, `experts.7`, `_weight_quantizers.2`).
// Longer runs are not indices (they would not fit the counts they index).
bool index_digits(std::string_view s);

// Parameters ------------------------------------------------------------------------------------

// N of a grouped weight `weightN` (TransformerEngine GroupedLinear: one module, one shared
// weight quantizer over weight0..N-1), else nullopt (also for a plain `weight`).
std::optional<int64_t> grouped_weight_index(std::string_view param);

// `weight` or `weightN`: the parameters a module's weight quantizer reads.
bool is_weight_param(std::string_view param);

// 3-D parameters of an `experts` module that hold every expert ([E, out, in]): transformers 5's
// fused layout as some checkpoints store it.
bool is_fused_expert_param(std::string_view param);

// The parameters ModelOpt's HF plugin quantizes on a fused experts module, in its order.
inline constexpr std::string_view kFusedExpertQuantized[] = {"gate_up_proj", "down_proj"};

// Quantizer names -------------------------------------------------------------------------------

// A weight quantizer's name cut around its suffix: `<stem>weight_quantizer` (stem "m.q_proj.")
// or, on a fused experts module, `<stem>weight_quantizers.<E>` (stem "m.experts.gate_up_proj_").
struct WeightQuantizerName {
  std::string stem;
  bool per_expert = false;  // the `_weight_quantizers.<E>` ModuleList form
};
std::optional<WeightQuantizerName> parse_weight_quantizer_name(std::string_view name);

// True for quantizers that act on a weight tensor by name (either form above).
bool is_weight_quantizer_name(std::string_view name);

// The input quantizer that goes with a weight quantizer: `<m>.weight_quantizer` ->
// `<m>.input_quantizer`, `<m>.<p>_weight_quantizers.E` -> `<m>.<p>_input_quantizer`; "" for
// other names.
std::string input_quantizer_for(const std::string& weight_quantizer);

// The weight quantizers an input quantizer may go with (`X.input_quantizer` ->
// `X.weight_quantizer`; `X.p_input_quantizer` -> `X.p_weight_quantizers.0`, the first expert);
// empty for other names.
std::vector<std::string> weight_quantizers_for_input(const std::string& input_quantizer);

// The module a weight quantizer's name names: `X.weight_quantizer` -> `X`,
// `X.<p>_weight_quantizers.E` -> `X.<p>`; nullopt for other names.
std::optional<std::string> module_of_weight_quantizer(std::string_view name);

// Projections -----------------------------------------------------------------------------------

// Linear layers whose weights an export quantizes with one shared amax (ModelOpt's
// requantize_resmooth_fused_llm_layers: they read the same input).
enum class SiblingGroup { none, qkv, gate_up, w1_w3 };

struct ProjectionName {
  std::string_view leaf;  // the module's last name segment
  SiblingGroup group;
  // Its parent, when named *attn* / *attention*, is an attention module on which ModelOpt's HF
  // plugin adds q/k/v BMM quantizers (the inventory derivation).
  bool attention_input;
  // Fake mode: a static NVFP4 weight whose global amax ModelOpt's max_calibrate shares with its
  // siblings (SHARED_PATTERNS of torch/quantization/utils/shared_input.py; narrower than the
  // export's groups).
  bool shares_static_nvfp4_amax;
};

// Every projection name with a role, in one table.
std::span<const ProjectionName> projection_names();

// The entry for a module's last segment, or null.
const ProjectionName* projection(std::string_view leaf);

// The key that groups a module with its siblings (`<parent>.qkv`, `<parent>.gate_up`,
// `<parent>.w1_w3`), or "" when its leaf is in no group.
std::string sibling_group_key(const std::string& module);

// Sibling order as Hugging Face modules register them (named_modules()), for a name segment; 100
// for segments without a known place.
int registration_rank(std::string_view segment);

// Exported tensors ------------------------------------------------------------------------------

// Name of a weight's exported scale: `weight` -> `<m>.weight<suffix>`, `weight3` (grouped) ->
// `<m>.weight3<suffix>`, `gate_up_proj` (fused) -> `<m>.gate_up_proj_weight<suffix>`.
std::string scale_name(const std::string& module, const std::string& param,
                       const std::string& suffix);

// Name of the input scale: `<m>.input_scale`, or `<m>.<p>_input_scale` for a fused parameter.
std::string input_scale_name(const std::string& module, const std::string& param);

// The KV-cache scale of an attention module (`<attn>.` given with its dot) and the weight of the
// projection that carries it: k -> (`<attn>.k_proj.k_scale`, `<attn>.k_proj.weight`), v likewise.
struct KvScaleName {
  std::string scale;
  std::string weight;
};
KvScaleName kv_scale_name(const std::string& attention_prefix, bool key);

}  // namespace qcfg::checkpoint
