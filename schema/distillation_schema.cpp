#include "schema/distillation_schema.h"

#include <fmt/format.h>

namespace qcfg {
namespace {

const std::vector<const char*> kPredTypes = {"x0", "eps", "v", "flow"};

bool model_error(const Value& at, std::string text, ValidationContext& ctx) {
  ctx.error(at.loc(), std::move(text), kRuleSchemaValue);
  return false;
}

double number(const Value& dump, std::string_view field) { return number_value(*dump.find(field)); }

// SampleTimestepConfig._check_bounds: a chain of asserts, so the first failure is the error.
bool check_sample_timesteps(Value& dump, const Value& data, ValidationContext& ctx) {
  const double min_t = number(dump, "min_t");
  const double max_t = number(dump, "max_t");
  if (!(0.0 <= min_t && min_t < max_t)) {
    return model_error(data,
                       fmt::format("require 0 <= min_t < max_t, got min_t={}, max_t={}",
                                   python_float_repr(min_t), python_float_repr(max_t)),
                       ctx);
  }
  if (!(number(dump, "shift") >= 1.0)) {
    return model_error(data, "shift must be >= 1, got " + dump.find("shift")->repr(), ctx);
  }
  const Value& t_list = *dump.find("t_list");
  if (t_list.is_null()) return true;
  if (t_list.items().size() < 2) {
    return model_error(data, "t_list must contain at least 2 entries (the last one 0.0)", ctx);
  }
  if (number_value(t_list.items().back()) != 0.0) {
    return model_error(data, "t_list must end with 0.0, got " + t_list.items().back().repr(), ctx);
  }
  return true;
}

// DMDConfig._check_gan.
bool check_dmd(Value& dump, const Value& data, ValidationContext& ctx) {
  if (number(dump, "gan_r1_reg_weight") > 0 && number(dump, "gan_loss_weight_gen") <= 0) {
    return model_error(data,
                       "gan_r1_reg_weight > 0 requires gan_loss_weight_gen > 0 (the "
                       "discriminator must be enabled)",
                       ctx);
  }
  if (!dump.find("backward_simulation")->as_bool()) return true;
  if (number(dump, "student_sample_steps") <= 1) {
    return model_error(data, "backward_simulation requires student_sample_steps > 1", ctx);
  }
  if (dump.find("sample_t_cfg")->find("t_list")->is_null()) {
    return model_error(data, "backward_simulation requires sample_t_cfg.t_list", ctx);
  }
  return true;
}

}  // namespace

const ModelSpec& sample_timestep_config_spec() {
  static const ModelSpec spec{
      "SampleTimestepConfig",
      {literal_field("time_dist_type",
                     {"uniform", "logitnormal", "lognormal", "shifted", "polynomial"}, "shifted"),
       float_field("min_t", 0.001), float_field("max_t", 0.999), float_field("shift", 5.0),
       float_field("p_mean", 0.0), float_field("p_std", 1.0),
       nullable(FieldSpec{"t_list", FieldType::FloatList, Value::null()})},
      false,
      check_sample_timesteps};
  return spec;
}

const ModelSpec& ema_config_spec() {
  static const ModelSpec spec{
      "EMAConfig",
      {float_field("decay", 0.9999),
       literal_field("type", {"constant", "halflife", "power"}, "constant"),
       int_field("start_iter", 0), float_field("gamma", 16.97), float_field("halflife_kimg", 500.0),
       nullable(float_field("rampup_ratio", 0.0), Value::real(0.05)), int_field("batch_size", 1),
       bool_field("fsdp2", true),
       literal_field("mode", {"full_tensor", "local_shard"}, "full_tensor"),
       nullable(literal_field("dtype", {"float32", "bfloat16", "float16"}, "float32"),
                Value::string("float32"))}};
  return spec;
}

const ModelSpec& dmd_config_spec() {
  static const ModelSpec spec{
      "DMDConfig",
      {literal_field("pred_type", kPredTypes, "flow"), nullable(float_field("guidance_scale", 0.0)),
       model_field("sample_t_cfg", sample_timestep_config_spec()),
       int_field("student_sample_steps", 1),
       literal_field("student_sample_type", {"sde", "ode"}, "ode"),
       nullable(int_field("num_train_timesteps", 0)), int_field("student_update_freq", 5),
       nullable(literal_field("fake_score_pred_type", kPredTypes, "x0"), Value::string("x0")),
       bool_field("backward_simulation", false), float_field("gan_loss_weight_gen", 0.0),
       bool_field("gan_use_same_t_noise", false), float_field("gan_r1_reg_weight", 0.0),
       float_field("gan_r1_reg_alpha", 0.1), nullable(model_field("ema", ema_config_spec()))},
      false,
      check_dmd};
  return spec;
}

}  // namespace qcfg
