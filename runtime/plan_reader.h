// Reading a compiled plan (`qcfg compile` JSON, plan_version 1 or 2; docs/plan-format.md). The
// runtime never re-parses configs: it takes each quantizer's final switch and attribute mapping
// from the plan, with the source location of every value so a problem found later points into the
// plan.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "compiler/diagnostic.h"
#include "compiler/source.h"
#include "compiler/value.h"
#include "schema/quantizer_attributes.h"

namespace qcfg::runtime {

// One stage of a quantizer: a TensorQuantizer, or one element of a SequentialQuantizer.
struct PlanStage {
  bool enabled = false;
  // The full QuantizerAttributeConfig mapping without `enable`; shared (not copied) by the
  // quantizers of one plan_version 2 state.
  std::shared_ptr<const Value> shared_attributes;
  // The same mapping typed once (schema/quantizer_attributes.h), shared like it.
  std::shared_ptr<const QuantizerAttributes> shared_typed;
  const Value& attributes() const { return *shared_attributes; }
  const QuantizerAttributes& typed() const { return *shared_typed; }
  // Sets the mapping and its typed reading.
  void set_attributes(std::shared_ptr<const Value> attributes);
};

struct PlanQuantizer {
  std::string name;
  SourceLocation loc;  // the quantizer's record in the plan
  // The recipe entry that set its attributes, when the plan was compiled in this process
  // (`qcfg ptq`): problems are reported there, where the user can fix them. Unknown otherwise.
  SourceLocation decided_at;
  bool sequential = false;
  std::vector<PlanStage> stages;  // one for a TensorQuantizer

  bool any_enabled() const;
  // Where a problem with this quantizer is reported: the deciding recipe entry when known, else
  // `in_plan` (the plan record or attribute at fault).
  SourceLocation where(SourceLocation in_plan) const {
    return decided_at.known() ? decided_at : in_plan;
  }
};

struct Plan {
  std::string origin;  // the plan file, or what it was compiled from
  SourceLocation loc;  // the plan document (for problems that belong to no record)
  std::vector<PlanQuantizer> quantizers;
};

// Parses and validates plan text. Errors (not JSON, wrong plan_version, a quantizer record
// without name / enabled / attributes, mismatched sequential lists, a v2 table index out of range)
// are added to `diags`, located in the plan; the result is then incomplete and must not be used.
// plan_version 2 as `qcfg compile` writes it goes through a fast reader (plan_fast.h); whatever it
// cannot be sure to read identically, through the document reader.
Plan read_plan(const SourceFile& file, Diagnostics& diags);
// The document reader alone: the reference the fast reader is checked and timed against.
Plan read_plan_by_document_reader(const SourceFile& file, Diagnostics& diags);

// Reads the file through `sources` (which must outlive the plan's locations).
Plan read_plan_file(const std::string& path, SourceManager& sources, Diagnostics& diags);

}  // namespace qcfg::runtime
