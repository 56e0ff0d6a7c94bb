// pydantic 2 lax-mode coercions (shared/spec/quant_cfg.md §5.5). Each returns the coerced value
// (keeping the input's source location) or nullopt after recording one error in the context.
#pragma once

#include <optional>
#include <string>

#include "schema/validation_context.h"

namespace qcfg {

// Silent attempts: nullopt means "this union member does not accept it".
std::optional<Value> try_lax_bool(const Value& v);
std::optional<Value> try_lax_int(const Value& v);
std::optional<Value> try_lax_float(const Value& v);

// Reporting variants: the error names the accepted inputs.
std::optional<Value> lax_bool(const Value& v, ValidationContext& ctx);
std::optional<Value> lax_int(const Value& v, ValidationContext& ctx);
std::optional<Value> lax_float(const Value& v, ValidationContext& ctx);
std::optional<Value> strict_str(const Value& v, ValidationContext& ctx);
// A list or tuple of lax ints, as a tuple; `arity` 0 means any length.
std::optional<Value> int_tuple(const Value& v, size_t arity, ValidationContext& ctx);
std::optional<Value> try_int_tuple(const Value& v, size_t arity);

// Short text of what was given, for messages: "got str 'abc'".
std::string got(const Value& v);

}  // namespace qcfg
