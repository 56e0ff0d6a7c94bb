// JSON Schema definitions built from the schema stage's field tables (schema/model_spec.h):
// the sections of speculative-decoding recipes and the fastgen distillation config. Part of
// migrations/json_schema.cpp's documents.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "compiler/value.h"
#include "schema/model_spec.h"

namespace qcfg::migrations {

// The definition of one model: a closed object (open where the model allows extra keys), each
// property with its type, bounds, enum and default; a nested model as a $ref to its
// definition name (`definition_name`).
Value model_definition(const ModelSpec& spec);
std::string definition_name(const ModelSpec& spec);

// Every model of the speculative and distillation tables, by definition name (nested models
// included), and the recipe definitions: {name, definition} pairs in a stable order.
std::vector<std::pair<std::string, Value>> section_definitions(const Value& imports_ref);

}  // namespace qcfg::migrations
