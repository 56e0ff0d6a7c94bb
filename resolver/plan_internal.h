// Shared by the plan writers of plan.cpp (plan_version 1) and plan_v2.cpp (plan_version 2).
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>

#include "compiler/value.h"
#include "resolver/plan.h"

namespace qcfg::resolver {

// The plan's `entries` list (same in both versions).
Value plan_entries_value(const Resolution& r);

// to_json(v) with every line after the first indented by `depth` spaces.
std::string indented_json(const Value& v, size_t depth);

void write_plan_v2_json(const Resolution& r, std::ostream& out, const PlanOptions& options);

}  // namespace qcfg::resolver
