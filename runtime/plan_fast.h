// The fast path of read_plan for plan_version 2 (plan_reader.h): the quantizer records, which are
// nearly all of a giant model's plan, read with simdjson's on-demand parser; the small tables
// (`entries`, `attribute_sets`, `states`, unknown keys) by the document reader at their offsets,
// so they keep its exact values and positions. Positions of records are computed from byte
// offsets in one forward pass.
//
// It only answers when it is sure read_json would read the same: anything else (not valid JSON
// for simdjson, a number it cannot hold, NaN, a repeated key, a record with another field or a
// wrong type, a state index out of range, another plan_version) gives nullopt, and read_plan
// then reads the file with the document reader and reports the problem, located, as before.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compiler/document/reader.h"
#include "compiler/source.h"
#include "compiler/value.h"

namespace qcfg::runtime {

struct PlanV2Parts {
  std::optional<std::string> inventory;  // when a string
  Value attribute_sets;                  // lists (checked)
  Value states;
  struct Record {
    std::string name;  // non-empty
    SourceLocation loc;
    size_t state;  // < states.items().size()
  };
  std::vector<Record> records;
};

// `limits`: read_plan's, which the document reader would apply.
std::optional<PlanV2Parts> read_plan_v2_parts(const SourceFile& file, const ReadLimits& limits);

}  // namespace qcfg::runtime
