#include "schema/speculative_schema.h"

#include <fmt/format.h>

namespace qcfg {
namespace {

void model_error(const Value& at, std::string text, ValidationContext& ctx) {
  ctx.error(at.loc(), std::move(text), kRuleSchemaValue);
}

// DataArguments._check_mode_requirements: `mode` is always recomputed from the data sources.
bool derive_data_mode(Value& dump, const Value& data, ValidationContext& ctx) {
  const bool offline = !dump.find("offline_data_path")->is_null();
  const bool streaming = !dump.find("streaming_server_url")->is_null();
  if (offline && streaming) {
    model_error(data,
                "ambiguous data source: set only one of offline_data_path and "
                "streaming_server_url",
                ctx);
    return false;
  }
  const char* mode = offline ? "offline" : streaming ? "streaming" : "online";
  dump.set("mode", Value::string(mode, data.loc()));
  if (streaming && !dump.find("streaming_model_name")->truthy()) {
    model_error(data, "streaming_server_url (mode 'streaming') requires streaming_model_name", ctx);
    return false;
  }
  return true;
}

bool check_sample_size(const Value& v, ValidationContext& ctx) {
  const double n = number_value(v);
  if (n != 0 && n >= -1) return true;
  reject(v, ctx, "sample_size must be -1 (every sample) or a positive integer", kRuleSchemaValue);
  return false;
}

// DFlashConfig._check_dpace_alpha.
bool check_dflash(Value& dump, const Value& data, ValidationContext& ctx) {
  const double alpha = dump.find("dflash_dpace_alpha")->as_float();
  if (!(alpha > 0.0 && alpha <= 1.0)) {
    model_error(
        data, fmt::format("dflash_dpace_alpha must be in (0, 1], got {}", python_float_repr(alpha)),
        ctx);
    return false;
  }
  const Value& window = *dump.find("dflash_swa_window_size");
  const Value& block = *dump.find("dflash_block_size");
  if (!window.is_null() && number_value(window) < number_value(block)) {
    model_error(data,
                fmt::format("dflash_swa_window_size ({}) must be >= dflash_block_size ({})",
                            window.repr(), block.repr()),
                ctx);
    return false;
  }
  return true;
}

// EagleConfig._check_rope_scaling_consistency: an export rope scaling replaces the training
// one, which must then be the default (no scaling).
bool check_eagle(Value& dump, const Value& data, ValidationContext& ctx) {
  if (!dump.find("eagle_export_rope_scaling")->truthy()) return true;
  const Value& arch = *dump.find("eagle_architecture_config");
  const Value* rope = arch.find("rope_scaling");
  if (!rope || !rope->truthy()) return true;
  if (!rope->is_map()) {
    // ModelOpt calls .get() on it and fails with an AttributeError.
    auto scope = ctx.enter("eagle_architecture_config", arch.loc());
    auto inner = ctx.enter("rope_scaling", rope->loc());
    reject(*rope, ctx, "rope_scaling must be a mapping (ModelOpt fails on it with AttributeError)");
    return false;
  }
  const Value* type = rope->find("rope_type");
  if (!type || !type->truthy()) type = rope->find("type");
  if (!type || type->is_null() || (type->is_string() && type->as_string() == "default")) {
    return true;
  }
  model_error(data,
              fmt::format("eagle_export_rope_scaling is set, so eagle_architecture_config's "
                          "rope_scaling must have rope_type 'default' (no scaling), got {}",
                          type->repr()),
              ctx);
  return false;
}

// Python's `a != b` for the warning: numbers compare by value, anything else differs.
bool differs(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return number_value(a) != number_value(b);
  return true;
}

}  // namespace

const ModelSpec& model_arguments_spec() {
  static const ModelSpec spec{
      "ModelArguments",
      {nullable(str_field("model_name_or_path", ""),
                Value::string("TinyLlama/TinyLlama-1.1B-Chat-v1.0")),
       bool_field("use_fake_base_for_offline", false), bool_field("trust_remote_code", false)}};
  return spec;
}

const ModelSpec& data_arguments_spec() {
  static const ModelSpec spec = [] {
    FieldSpec sample_size = int_field("sample_size", -1);
    sample_size.check = check_sample_size;
    return ModelSpec{
        "DataArguments",
        {literal_field("mode", {"online", "offline", "streaming"}, nullptr),
         str_field("data_path", nullptr), str_field("offline_data_path", nullptr),
         bool_field("lazy_preprocess", true), str_field("draft_vocab_cache", nullptr),
         str_field("chat_template", nullptr), str_field("vlm_img_dir", nullptr),
         str_field("vlm_processor", nullptr), sample_size,
         str_field("streaming_server_url", nullptr), str_field("streaming_model_name", nullptr),
         bool_field("final_aux_is_base_hidden", false)},
        false,
        derive_data_mode};
  }();
  return spec;
}

const ModelSpec& training_arguments_spec() {
  static const ModelSpec spec{
      "TrainingArguments",
      {int_field("training_seq_len", 2048), bool_field("estimate_ar", false),
       int_field("ar_validate_steps", 1000), bool_field("answer_only_loss", false),
       int_field("cp_size", 1), nullable(int_field("dp_shard_size", 0))},
      true};
  return spec;
}

const ModelSpec& eagle_config_spec() {
  static const ModelSpec spec = [] {
    Value export_rope = Value::map();
    export_rope.set("rope_type", Value::string("yarn"));
    export_rope.set("factor", Value::real(32.0));
    export_rope.set("original_max_position_embeddings", Value::integer(2048));
    return ModelSpec{
        "EagleConfig",
        {bool_field("eagle_offline", false),
         bool_field("eagle_hidden_state_distillation", false),
         bool_field("eagle_self_logit_distillation", true),
         bool_field("eagle_freeze_base_model", true),
         bool_field("eagle_report_acc", true),
         bool_field("eagle_reuse_base_decoder", false),
         float_field("eagle_loss_decay_factor", 0.9),
         dict_field("eagle_architecture_config"),
         str_field("eagle_decoder_type", "llama"),
         int_field("eagle_ttt_steps", 3),
         bool_field("eagle_mix_hidden_states", false),
         bool_field("eagle_use_torch_compile", true),
         bool_field("eagle_enable_nvtx", false),
         dict_field("eagle_export_rope_scaling", export_rope),
         bool_field("eagle_base_lora", false),
         int_field("eagle_base_lora_rank", 64),
         float_field("eagle_base_lora_alpha", 16.0),
         nullable(FieldSpec{"eagle_base_lora_target_modules", FieldType::List, Value::null()}),
         float_field("eagle_base_lora_preservation_loss_weight", 0.1),
         int_field("eagle_base_lora_warmup_steps", 0),
         nullable(int_field("eagle_base_lora_start_layer", 0)),
         float_field("eagle_base_lora_logits_detach_prob", 0.5)},
        false,
        check_eagle};
  }();
  return spec;
}

const ModelSpec& dflash_config_spec() {
  static const ModelSpec spec{
      "DFlashConfig",
      {bool_field("dflash_offline", false),
       int_field("dflash_block_size", 8),
       bool_field("dflash_freeze_base_model", true),
       bool_field("dflash_self_logit_distillation", true),
       float_field("dflash_loss_decay_factor", 0.0),
       literal_field("dflash_loss_objective", {"decay", "dpace"}, "dpace"),
       float_field("dflash_dpace_alpha", 0.5),
       int_field("dflash_num_anchors", 512),
       bool_field("dflash_report_acc", true),
       nullable(int_field("dflash_mask_token_id", 0)),
       dict_field("dflash_architecture_config"),
       bool_field("dflash_use_torch_compile", true),
       nullable(int_field("dflash_swa_window_size", 0)),
       literal_field("dflash_draft_attention", {"bidirectional", "causal"}, "bidirectional"),
       bool_field("dflash_attention_sink", false),
       str_field("dflash_init_checkpoint", nullptr),
       dict_field("dflash_export_rope_scaling"),
       float_field("dflash_lambda_base_start", 1.0, at_least(0.0), at_most(1.0)),
       float_field("dflash_lambda_base_decay_ratio", 1.0, above(0.0), at_most(1.0)),
       float_field("dflash_ce_loss_alpha", 0.1, at_least(0.0)),
       float_field("dflash_l1_loss_alpha", 0.9, at_least(0.0)),
       float_field("dflash_confidence_head_alpha", 0.0, at_least(0.0))},
      false,
      check_dflash};
  return spec;
}

const ModelSpec& medusa_config_spec() {
  static const ModelSpec spec{
      "MedusaConfig", {int_field("medusa_num_heads", 2), int_field("medusa_num_layers", 1)}};
  return spec;
}

void derive_speculative_recipe(std::string_view section, Value& dump, ValidationContext& ctx) {
  // DataArguments always sets `mode` (derive_data_mode).
  const bool offline = dump.find("data")->find("mode")->as_string() != "online";
  Value* body = dump.find(section);
  if (!body || !body->is_map()) return;  // Medusa: nothing derived
  if (section == "medusa") return;
  body->set(std::string(section) + "_offline", Value::boolean(offline));
  if (section != "eagle") return;
  const Value* orig =
      body->find("eagle_export_rope_scaling")->find("original_max_position_embeddings");
  const Value& seq_len = *dump.find("training")->find("training_seq_len");
  if (orig && !orig->is_null() && differs(*orig, seq_len)) {
    auto scope =
        ctx.enter("eagle.eagle_export_rope_scaling.original_max_position_embeddings", orig->loc());
    ctx.warning(orig->loc(),
                fmt::format("{} differs from training.training_seq_len ({}); ModelOpt warns that "
                            "long-context inference quality may suffer",
                            orig->str(), seq_len.str()),
                "speculative-rope-length");
  }
}

}  // namespace qcfg
