// Unified diff (`diff -u` layout) of two texts, for `qcfg migrate --diff`.
#pragma once

#include <string>
#include <string_view>

namespace qcfg::migrations {

// Empty when the texts are equal. Headers are `--- a/<name>` and `+++ b/<name>`.
std::string unified_diff(std::string_view before, std::string_view after, const std::string& name,
                         size_t context = 3);

}  // namespace qcfg::migrations
