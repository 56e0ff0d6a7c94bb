// The canonical, validated form of a quant_cfg: what every later stage (resolver, linter,
// migrator checks, plan emitter) consumes. Produced by schema/quantize_config.h.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/source.h"
#include "compiler/value.h"
#include "schema/quantizer_attributes.h"

namespace qcfg {

// How an entry is applied (ModelOpt set_quantizer_by_cfg): a cfg replaces every attribute, an
// entry without cfg only flips the enable switch.
enum class CfgKind { None, Single, Sequential };

// One validated QuantizerCfgEntry.
struct QuantizerEntry {
  std::string quantizer_name;
  std::optional<std::string> parent_class;  // null or "" means no filter
  bool enable = true;
  CfgKind cfg_kind = CfgKind::None;
  // cfg_full: null, or a full attribute mapping (all 19 QuantizerAttributeConfig fields, in
  // declaration order, defaults filled in), or a list of such mappings (sequential).
  Value cfg_full;
  // cfg_set: only the attributes written in the input, recursively (null when cfg is null).
  Value cfg_set;
  // cfg_full and cfg_set typed (schema/quantizer_attributes.h), one per attribute mapping: one
  // for a single cfg, one per item of a sequential one, none without cfg.
  std::vector<QuantizerAttributes> attributes;
  std::vector<QuantizerAttributes> attributes_set;
  // Sorted names of the entry fields present in the input (legacy forms: see
  // shared/spec/quant_cfg.md 4.2).
  std::vector<std::string> fields_set;

  // Where the entry came from, after import expansion (the entry mapping itself, or for a legacy
  // form, the legacy key). Used for provenance and diagnostics.
  SourceLocation loc;
  SourceLocation name_loc;  // the quantizer_name value
  SourceLocation cfg_loc;   // the cfg value (unknown when absent)
  SourceLocation enable_loc;
  bool from_legacy = false;  // produced from a legacy dict form
};

// A validated QuantizeConfig.
struct QuantizeConfig {
  std::vector<QuantizerEntry> quant_cfg;
  Value algorithm;  // as validated: string, mapping, list, or null
  bool algorithm_is_default = true;
  Value effective_bits;  // null or float
  bool need_calibration = false;
  SourceLocation loc;
};

}  // namespace qcfg
