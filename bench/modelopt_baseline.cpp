#include "bench/modelopt_baseline.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <vector>

namespace qcfg::bench {
namespace {

// The child's stdout; stderr to `log_path`. `status` is its wait status (-1: not started).
std::string run_child(const std::vector<std::string>& argv, const std::string& log_path,
                      int* status) {
  *status = -1;
  int fds[2];
  if (pipe(fds) != 0) return {};
  const pid_t pid = fork();
  if (pid < 0) return {};
  if (pid == 0) {
    dup2(fds[1], 1);
    const int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (log >= 0) dup2(log, 2);
    close(fds[0]);
    close(fds[1]);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::perror(args[0]);
    _exit(127);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  waitpid(pid, status, 0);
  return out;
}

// "MODELOPT_LOOP wall_ms=W cpu_ms=C quantizers=N enabled=E ..." -> fields; false if malformed.
bool parse_line(const std::string& line, ModelOptLoop& r) {
  std::istringstream in(line);
  std::string tag, field;
  in >> tag;
  if (tag != "MODELOPT_LOOP") return false;
  int seen = 0;
  while (in >> field) {
    const size_t eq = field.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = field.substr(0, eq), value = field.substr(eq + 1);
    try {
      if (key == "wall_ms") r.wall_ms = std::stod(value), ++seen;
      if (key == "cpu_ms") r.cpu_ms = std::stod(value), ++seen;
      if (key == "quantizers") r.quantizers = std::stol(value), ++seen;
      if (key == "enabled") r.enabled = std::stol(value), ++seen;
    } catch (const std::exception&) {
      return false;
    }
  }
  r.line = line;
  return seen == 4;
}

}  // namespace

std::optional<ModelOptLoop> run_modelopt_loop(const std::string& python,
                                              const std::string& inventory,
                                              const std::string& recipe,
                                              const std::string& log_path, std::string* why) {
  int status = 0;
  const std::string out =
      run_child({python, QCFG_BENCH_DIR "/modelopt_loop.py", inventory, recipe}, log_path, &status);
  if (status == -1) {
    *why = "could not start " + python;
    return std::nullopt;
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *why = fmt::format("{} exited with status {} (its messages: {})", python,
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1, log_path);
    return std::nullopt;
  }
  std::istringstream lines(out);
  ModelOptLoop r;
  for (std::string line; std::getline(lines, line);)
    if (parse_line(line, r)) return r;
  *why = fmt::format("{} printed no MODELOPT_LOOP line (its messages: {})", python, log_path);
  return std::nullopt;
}

}  // namespace qcfg::bench
