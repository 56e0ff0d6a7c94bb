// Where a SARIF result points: artifact URIs (RFC 3986 percent-encoded, relative to %SRCROOT%
// inside the base directory, absolute file:// URIs outside it) and columns in UTF-16 code units,
// SARIF's default `columnKind` and what GitHub code scanning counts in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "compiler/value.h"

namespace qcfg::lint {

// The uriBaseId of paths inside the base directory.
inline constexpr const char* kSrcRoot = "%SRCROOT%";

// `path` with every byte outside RFC 3986's unreserved set and '/' written as %XX.
std::string percent_encode(std::string_view path);

// The absolute directory `base_dir`, as the file:// URI (ending in '/') that %SRCROOT% stands for.
std::string base_uri(const std::string& base_dir);

// An artifactLocation object for `path`: {uri, uriBaseId} relative to `base_dir` when the path
// lies inside it, else {uri} with an absolute file:// URI. Symlinks are not resolved: the URI
// names the path as the repository has it.
Value artifact_location(const std::string& path, const std::string& base_dir);

// The 1-based column in UTF-16 code units of the 1-based byte column `byte_column` of `line`.
uint32_t utf16_column(std::string_view line, uint32_t byte_column);

}  // namespace qcfg::lint
