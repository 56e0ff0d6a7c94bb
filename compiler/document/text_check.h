// Checks on raw file text shared by the YAML and JSON readers: size, UTF-8 validity (Python
// decodes files strictly, so qcfg refuses what Python could not decode) and positions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/source.h"

namespace qcfg::document {

// Location of byte `offset` of `file`: 1-based line, 1-based column counted in bytes (the unit
// of yaml-cpp marks and of the caret renderer).
SourceLocation location_at(const SourceFile& file, size_t offset);

// Decodes the UTF-8 sequence at `*pos` and advances past it; returns -1 (and leaves `*pos`) when
// the bytes there are not strict UTF-8 (overlong, surrogate, above U+10FFFF, truncated).
int32_t decode_utf8(std::string_view text, size_t* pos);

// Appends code point `cp` as UTF-8 (surrogates are encoded as their 3-byte form, WTF-8).
void append_utf8(std::string* out, uint32_t cp);

// Throws a CompileError "<prefix>-limit" when the file is larger than `max_bytes`, and
// "<prefix>-encoding" at the first byte that is not UTF-8.
void check_size_and_utf8(const SourceFile& file, size_t max_bytes, const std::string& prefix);

}  // namespace qcfg::document
