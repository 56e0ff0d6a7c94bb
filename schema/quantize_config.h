// QuantizeConfig validation (shared/spec/quant_cfg.md §6), ModelOpt's need_calibration (§6.3), and
// the contract view of a validated config (shared/spec/contract.md §1).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/value.h"
#include "schema/entry.h"
#include "schema/validation_context.h"

namespace qcfg {

struct QuantizeConfigResult {
  std::optional<QuantizeConfig> config;
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;  // DeprecationWarning for legacy quant_cfg forms
  bool ok() const { return config.has_value(); }
};

// `QuantizeConfig.model_validate(data)`: `data` must be a mapping with optional keys quant_cfg,
// algorithm, effective_bits. `loc_name` prefixes field paths ("quantize" inside a recipe).
QuantizeConfigResult validate_quantize_config(const Value& data, std::string_view loc_name = "");

// `QuantizeConfig(quant_cfg=quant_cfg)`: a bare list or a legacy flat dict read as the value of
// quant_cfg (algorithm defaults to "max").
QuantizeConfigResult validate_quant_cfg(const Value& quant_cfg, std::string_view loc_name = "");

// Context-level variants for composite schemas (recipes). Errors go to `ctx`.
std::optional<QuantizeConfig> validate_quantize_config(const Value& data, ValidationContext& ctx);

// ModelOpt's need_calibration(config), exactly (§6.3).
bool need_calibration(const QuantizeConfig& config);

// {"algorithm", "need_calibration", "quant_cfg": [{quantizer_name, parent_class, enable, cfg}]}
// with cfg the full attribute dump, a list of them, or null.
Value quantize_config_view(const QuantizeConfig& config);

// The `*_set` view of an entry: only the fields present in the input (cfg as its set dump).
Value entry_set_view(const QuantizerEntry& entry);

}  // namespace qcfg
