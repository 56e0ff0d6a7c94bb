// `qcfg apply` / `qcfg ptq` in the torch-free qcfg: replace this process with qcfg-runtime (found
// beside this executable, in ../libexec/qcfg, or at $QCFG_RUNTIME) running the same command line,
// so exit status, signals, output and --help are exactly the runtime's own.
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "tools/qcfg/cli.h"
#include "tools/qcfg/runtime_commands.h"

namespace qcfg::cli {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> runtime_candidates() {
  if (const char* env = std::getenv("QCFG_RUNTIME"); env != nullptr && *env != '\0') {
    return {fs::path(env)};
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  const fs::path dir = self.parent_path();
  return {dir / kRuntimeExecutable, dir.parent_path() / "libexec" / "qcfg" / kRuntimeExecutable};
}

int forward(const std::string& name, const std::vector<std::string>& argv) {
  const std::vector<fs::path> candidates = runtime_candidates();
  for (const fs::path& path : candidates) {
    if (::access(path.c_str(), X_OK) != 0) continue;
    std::vector<std::string> args = {path.string(), name};
    args.insert(args.end(), argv.begin(), argv.end());
    std::vector<char*> c_args;
    for (std::string& a : args) c_args.push_back(a.data());
    c_args.push_back(nullptr);
    ::execv(path.c_str(), c_args.data());
    fmt::print(stderr, "qcfg {}: cannot run {}: {}\n", name, path.string(), std::strerror(errno));
    return kExitUsage;
  }
  std::string looked;
  for (const fs::path& p : candidates) looked += "\n  " + p.string();
  fmt::print(stderr,
             "qcfg {}: this qcfg has no runtime: {} was not found at{}\n"
             "`qcfg {}` needs LibTorch: build qcfg where libtorch-dev (or PyTorch, -Dtorch_dir=) "
             "is installed and install both executables, or set QCFG_RUNTIME to qcfg-runtime\n",
             name, kRuntimeExecutable, looked.empty() ? " (no location known)" : looked, name);
  return kExitUsage;
}

struct RegisterForwards {
  RegisterForwards() {
    for (const RuntimeCommand& c : kRuntimeCommands) {
      const std::string name(c.name);
      register_command(Command{name, std::string(c.summary) + " [qcfg-runtime, LibTorch]", "",
                               [name](const std::vector<std::string>& argv) {
                                 return forward(name, argv);
                               },
                               /*forwards_help=*/true});
    }
  }
};
const RegisterForwards register_forwards;

}  // namespace
}  // namespace qcfg::cli
