// "Did you mean": the candidates nearest to a name nobody has, for error messages.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace qcfg {

// Up to `max` candidates in order of edit distance (Levenshtein, bytes) to `want`, ties in
// candidate order; only those within half the length of `want`, so unrelated names stay out.
std::vector<std::string> closest_names(std::string_view want,
                                       const std::vector<std::string>& candidates, size_t max = 3);

}  // namespace qcfg
