// Normalization of a raw `quant_cfg` (shared/spec/quant_cfg.md §4.1-4.2): turns every accepted
// input shape (new-format list, legacy one-key items, multi-key items with `nn.*` keys, legacy flat
// dict) into a flat sequence of raw entry mappings, exactly as ModelOpt's normalize_quant_cfg_list
// builds the keyword arguments of each QuantizerCfgEntry. Field validation is not done here
// (see schema/quantize_config.h); only the structural errors of §4.5 are reported.
#pragma once

#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/value.h"

namespace qcfg {

// One entry before validation: the keyword arguments ModelOpt would pass to QuantizerCfgEntry.
struct RawEntry {
  // A mapping. New format: a shallow copy of the input item (unknown keys kept, so that the
  // validator can report them). Legacy forms: built keys `parent_class` (nn.* only),
  // `quantizer_name`, `cfg`, and `enable` when carried (§4.2), whose values keep their source
  // locations (`quantizer_name` points at the legacy key).
  Value fields;
  // Sorted names of the entry fields the input set (legacy: always cfg and quantizer_name, plus
  // parent_class for nn.*, plus enable when carried; new format: the present keys).
  std::vector<std::string> fields_set;
  // The entry mapping, or for a legacy form the legacy key.
  SourceLocation loc;
  bool from_legacy = false;
  size_t item_index = 0;  // index of the list item (or legacy pair) that produced it
  // Extra lines for any error this entry gets (e.g. the `quantizer_path` spelling hint).
  std::vector<std::string> notes;
};

struct NormalizeResult {
  // Entries of every item before the first structural error, in order.
  std::vector<RawEntry> entries;
  // The structural error that stopped normalization (at most one item's worth); it happened
  // after every entry above was produced, so a caller that validates entries in order must
  // report a failing entry first and only then these (ModelOpt aborts at the first failure).
  std::vector<Diagnostic> errors;
  // DeprecationWarning for legacy forms (once per call).
  std::vector<Diagnostic> warnings;

  bool ok() const { return errors.empty(); }
};

// `quant_cfg` is the raw value of the field. `loc_name` names it in messages ("quant_cfg", or
// "quantize.quant_cfg" inside a recipe). `fallback` locates errors on synthesized nodes.
NormalizeResult normalize_quant_cfg(const Value& quant_cfg,
                                    const std::string& loc_name = "quant_cfg",
                                    SourceLocation fallback = {});

// Rule ids used by the normalizer.
inline constexpr const char* kRuleQuantCfgType = "quant-cfg-type";
inline constexpr const char* kRuleInvalidEntry = "quant-cfg-invalid-entry";
inline constexpr const char* kRuleNnScopedValue = "nn-scoped-value";
inline constexpr const char* kRuleLegacyFormat = "legacy-format-deprecated";
inline constexpr const char* kRuleQuantizerPath = "quantizer-path-spelling";

}  // namespace qcfg
