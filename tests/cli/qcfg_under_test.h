// The qcfg executable the CLI tests run: $QCFG_EXECUTABLE when set and not empty (an installed
// qcfg, such as the one `pip install` puts on PATH: docs/pre-commit.md), else the one built with
// the tests (QCFG_EXE). qcfg-runtime is looked for next to it.
#pragma once

#include <cstdlib>
#include <string>

namespace qcfg::test {

inline std::string qcfg_under_test() {
  const char* exe = std::getenv("QCFG_EXECUTABLE");
  return exe != nullptr && *exe != '\0' ? std::string(exe) : std::string(QCFG_EXE);
}

}  // namespace qcfg::test
