// Tensors that transformers keeps in float32 when it loads a model in a lower precision
// (`_keep_in_fp32_modules_strict`), so that ModelOpt, which exports and folds the loaded model,
// writes them as F32 whatever the checkpoint stores. The one place the runtime asks.
#pragma once

#include <string_view>

namespace qcfg::resolver {

// DeepSeek-V3's router bias (and that of the models built on its MoE gate: GLM-4-MoE, dots1,
// ...): `*.e_score_correction_bias`.
bool kept_in_fp32_at_load(std::string_view tensor_name);

}  // namespace qcfg::resolver
