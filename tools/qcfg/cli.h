// The qcfg command-line front: a registry of subcommands and a small argument parser.
// Each subcommand lives in its own file and registers itself with QCFG_REGISTER_COMMAND.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace qcfg::cli {

// Exit codes shared by every command (ruff / GNU diff convention).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInvalid = 1;  // invalid input or findings
inline constexpr int kExitUsage = 2;    // usage or internal error

// Thrown for bad command lines; main prints it with the command's usage and exits 2.
struct UsageError {
  std::string message;
};

// Parsed command line: options (--name value / --name=value / flags) and positionals.
class Args {
 public:
  // `value_options` take a value; `flags` do not; anything else starting with '-' is an error.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& value_options,
       const std::set<std::string>& flags);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> value(const std::string& name) const;
  // A file or directory option (-o, --out, --model, ...): an empty value is a UsageError that
  // says so, before anything would pass "" to the file system.
  std::optional<std::string> path_value(const std::string& name) const;
  // Every value given for a repeatable option, in order.
  std::vector<std::string> values(const std::string& name) const;
  std::string value_or(const std::string& name, const std::string& fallback) const;
  // Value that must be one of `choices`.
  std::string choice(const std::string& name, const std::vector<std::string>& choices,
                     const std::string& fallback) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

 private:
  std::set<std::string> flags_;
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> positionals_;
};

struct Command {
  std::string name;
  std::string summary;  // one line for `qcfg --help`
  std::string usage;    // full help text for `qcfg NAME --help`
  std::function<int(const std::vector<std::string>& argv)> run;
  // The command prints its own --help (a command run by another executable, runtime_forward.cpp).
  bool forwards_help = false;
};

void register_command(Command c);
const std::map<std::string, Command>& commands();

struct Registrar {
  explicit Registrar(Command c) { register_command(std::move(c)); }
};

// `qcfg ARGS...` (ARGS without the program name) with the registered commands: the overview,
// --version, `NAME --help`, or the command's run with its usage and internal errors printed to
// stderr. Returns the exit code. main.cpp and the Python op library (python/ops/runtime_op.cpp,
// `qcfg ptq` / `qcfg apply` in the Python process) both run command lines through this.
int run_command_line(const std::vector<std::string>& args);

}  // namespace qcfg::cli

#define QCFG_CLI_CONCAT2(a, b) a##b
#define QCFG_CLI_CONCAT(a, b) QCFG_CLI_CONCAT2(a, b)
#define QCFG_REGISTER_COMMAND(...) \
  static ::qcfg::cli::Registrar QCFG_CLI_CONCAT(qcfg_command_, __LINE__)(__VA_ARGS__)
