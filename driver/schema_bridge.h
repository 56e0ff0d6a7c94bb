// The driver's view of the schema stage: validation entry points by loader schema kind.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/loader/schema_kind.h"
#include "compiler/value.h"
#include "schema/entry.h"

namespace qcfg::driver {

// Outcome of validating one document against one schema.
struct Validated {
  std::vector<Diagnostic> errors;
  std::vector<Diagnostic> warnings;
  std::vector<std::pair<std::string, QuantizeConfig>> quantize_configs;  // by path
  std::optional<std::vector<QuantizerEntry>> entries;
  std::optional<Value> attributes;
  std::optional<Value> model_dump;  // a validated recipe or distillation config

  bool ok() const { return errors.empty(); }
};

// `QuantizeConfig.model_validate(mapping)`; `path` names it in the output ("$", "quantize").
Validated validate_quantize_config(const Value& mapping, const std::string& path);
// `QuantizeConfig(quant_cfg=value)` for a bare list or a legacy dict.
Validated validate_quant_cfg_value(const Value& quant_cfg, const std::string& path);
// Any schema a file can be loaded with (snippets, recipes, lists).
Validated validate_as(loader::SchemaKind schema, const Value& data);

// A fastgen distillation file (general/distillation/): DMDConfig, as `load_dmd_config` does.
Validated validate_distillation_config(const Value& data);

// The contract view of a QuantizeConfig: {algorithm, need_calibration, quant_cfg: [...]}.
Value quantize_config_view(const QuantizeConfig& qc);
// The contract view of one entry: {quantizer_name, parent_class, enable, cfg}.
Value entry_view(const QuantizerEntry& e);

}  // namespace qcfg::driver
