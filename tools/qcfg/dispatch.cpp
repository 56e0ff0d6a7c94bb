// run_command_line (cli.h): the command-line front shared by the executables and the Python op
// library.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "tools/qcfg/cli.h"

namespace qcfg::cli {
namespace {

void print_overview() {
  fmt::print("usage: qcfg COMMAND [ARGS...]\n\nCommands:\n");
  for (const auto& [name, cmd] : commands()) {
    fmt::print("  {:<12} {}\n", name, cmd.summary);
  }
  fmt::print("\nRun 'qcfg COMMAND --help' for a command's options.\n");
}

}  // namespace

int run_command_line(const std::vector<std::string>& args) {
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

}  // namespace qcfg::cli
