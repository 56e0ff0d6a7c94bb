#include "resolver/load_dtypes.h"

#include <array>

namespace qcfg::resolver {

bool kept_in_fp32_at_load(std::string_view tensor_name) {
  constexpr std::array<std::string_view, 1> kSuffixes = {".e_score_correction_bias"};
  for (std::string_view s : kSuffixes)
    if (tensor_name.ends_with(s)) return true;
  return false;
}

}  // namespace qcfg::resolver
