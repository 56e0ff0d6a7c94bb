// Helpers shared by the lint tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace qcfg::lint::testing {

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace qcfg::lint::testing
