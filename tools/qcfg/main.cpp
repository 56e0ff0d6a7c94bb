// qcfg: compiler, linter, resolver and runtime for ModelOpt quant_cfg recipes.
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tools/qcfg/cli.h"

namespace {

void print_overview() {
  fmt::print("usage: qcfg COMMAND [ARGS...]\n\nCommands:\n");
  for (const auto& [name, cmd] : qcfg::cli::commands()) {
    fmt::print("  {:<12} {}\n", name, cmd.summary);
  }
  fmt::print("\nRun 'qcfg COMMAND --help' for a command's options.\n");
}

}  // namespace

int main(int argc, char** argv) {
  using namespace qcfg::cli;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_overview();
    return args.empty() ? kExitUsage : kExitOk;
  }
  if (args[0] == "--version") {
    fmt::print("qcfg 0.1.0\n");
    return kExitOk;
  }
  auto it = commands().find(args[0]);
  if (it == commands().end()) {
    fmt::print(stderr, "qcfg: unknown command '{}'\n", args[0]);
    print_overview();
    return kExitUsage;
  }
  const Command& cmd = it->second;
  std::vector<std::string> rest(args.begin() + 1, args.end());
  for (const std::string& a : rest) {
    if (!cmd.forwards_help && (a == "--help" || a == "-h")) {
      fmt::print("{}", cmd.usage);
      return kExitOk;
    }
  }
  try {
    return cmd.run(rest);
  } catch (const UsageError& e) {
    fmt::print(stderr, "qcfg {}: {}\n\n{}", cmd.name, e.message, cmd.usage);
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "qcfg {}: internal error: {}\n", cmd.name, e.what());
    return kExitUsage;
  }
}
