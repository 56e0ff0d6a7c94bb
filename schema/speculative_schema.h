// The sections of ModelOpt 0.47's speculative-decoding recipes (modelopt/recipe/config.py,
// ModelOptSpeculativeRecipeBase and subclasses): `model` / `data` / `training`
// (modelopt/torch/speculative/plugins/hf_training_args.py) and `eagle` / `dflash` / `medusa`
// (modelopt/torch/speculative/config.py), as field tables (schema/model_spec.h).
#pragma once

#include "schema/model_spec.h"

namespace qcfg {

const ModelSpec& model_arguments_spec();     // ModelArguments
const ModelSpec& data_arguments_spec();      // DataArguments (derives `mode`)
const ModelSpec& training_arguments_spec();  // TrainingArguments (extra keys kept)
const ModelSpec& eagle_config_spec();        // EagleConfig
const ModelSpec& dflash_config_spec();       // DFlashConfig
const ModelSpec& medusa_config_spec();       // MedusaConfig

// The recipe-level after-validators of ModelOptEagleRecipe / ModelOptDFlashRecipe on a dump
// whose sections are all valid: `<section>_offline` derived from `data.mode`, and the EAGLE
// warning when the export rope scaling's original_max_position_embeddings differs from
// training.training_seq_len.
void derive_speculative_recipe(std::string_view section, Value& dump, ValidationContext& ctx);

}  // namespace qcfg
