// ModelOpt 0.47's fastgen distillation config (modelopt/torch/fastgen/config.py): DMDConfig
// with SampleTimestepConfig and EMAConfig, which `load_dmd_config` validates a YAML mapping
// against (the files under general/distillation/ of the recipe tree).
#pragma once

#include "schema/model_spec.h"

namespace qcfg {

const ModelSpec& sample_timestep_config_spec();
const ModelSpec& ema_config_spec();
const ModelSpec& dmd_config_spec();

}  // namespace qcfg
