// qcfg: compiler, linter, resolver and runtime for ModelOpt quant_cfg recipes.
#include <string>
#include <vector>

#include "tools/qcfg/cli.h"

int main(int argc, char** argv) {
  return qcfg::cli::run_command_line(std::vector<std::string>(argv + 1, argv + argc));
}
