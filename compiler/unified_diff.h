// Unified diff (`diff -u` layout, bounded work) of two texts: the one diff writer, for
// `qcfg migrate --diff` and `qcfg lint --fix --diff`.
#pragma once

#include <string>
#include <string_view>

namespace qcfg {

// Empty when the texts are equal. Headers are `--- a/<name>` and `+++ b/<name>`.
std::string unified_diff(std::string_view before, std::string_view after, const std::string& name,
                         size_t context = 3);

}  // namespace qcfg
