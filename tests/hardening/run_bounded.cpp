#include "tests/hardening/run_bounded.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <regex>
#include <sstream>

#if defined(__SANITIZE_ADDRESS__)
#define QCFG_UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define QCFG_UNDER_ASAN 1
#endif
#endif

namespace qcfg::hardening {
namespace {

constexpr size_t kMaxOutput = 1 << 20;  // a runaway printer must not exhaust the test itself

#ifdef QCFG_UNDER_ASAN
// The sanitizer build runs at -O1 with checks on every access, and its allocator adds redzones
// and keeps freed memory in quarantine: the bounds scale so that they still catch a hang or a
// blow-up (10x and more) without failing on the sanitizer's own overhead.
constexpr int kCpuScale = 3;
constexpr long kMemoryScale = 2, kMemoryExtraMb = 256;
#else
constexpr int kCpuScale = 1;
#endif

void limit_child(const Bounds& bounds) {
  const auto cpu_seconds = static_cast<rlim_t>(bounds.cpu_seconds * kCpuScale);
  const rlimit cpu{cpu_seconds, cpu_seconds};
  setrlimit(RLIMIT_CPU, &cpu);
#ifdef QCFG_UNDER_ASAN
  // ASan's shadow memory is terabytes of reserved address space: RLIMIT_AS would kill it at
  // start. Its own RSS watchdog bounds the memory instead.
  std::string options =
      "hard_rss_limit_mb=" + std::to_string(bounds.memory_mb * kMemoryScale + kMemoryExtraMb);
  if (const char* old = std::getenv("ASAN_OPTIONS")) options = std::string(old) + ":" + options;
  setenv("ASAN_OPTIONS", options.c_str(), 1);
#else
  const rlim_t bytes = static_cast<rlim_t>(bounds.memory_mb) << 20;
  const rlimit as{bytes, bytes};
  setrlimit(RLIMIT_AS, &as);
#endif
}

[[noreturn]] void exec_child(const std::vector<std::string>& argv, const std::string& cwd,
                             const Bounds& bounds, int out_fd) {
  dup2(out_fd, STDOUT_FILENO);
  dup2(out_fd, STDERR_FILENO);
  close(out_fd);
  if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
  limit_child(bounds);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

// Reads what is available; false at end of file.
bool drain(int fd, std::string& out) {
  char buf[4096];
  const ssize_t n = read(fd, buf, sizeof buf);
  if (n <= 0) return false;
  if (out.size() < kMaxOutput) out.append(buf, static_cast<size_t>(n));
  return true;
}

}  // namespace

Outcome run_bounded(const std::vector<std::string>& argv, const std::string& cwd,
                    const Bounds& bounds) {
  Outcome outcome;
  int fds[2];
  if (pipe(fds) != 0) return outcome;
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    exec_child(argv, cwd, bounds, fds[1]);
  }
  close(fds[1]);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(bounds.wall_seconds * kCpuScale);
  bool open = true;
  while (open) {
    pollfd p{fds[0], POLLIN, 0};
    if (poll(&p, 1, 100) > 0) open = drain(fds[0], outcome.output);
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      outcome.timed_out = true;
      break;
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  outcome.exited = WIFEXITED(status);
  outcome.exit_code = outcome.exited ? WEXITSTATUS(status) : -1;
  outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  return outcome;
}

namespace {

bool has_line_matching(const std::string& output, const std::string& file,
                       const std::string& position) {
  const std::string escaped =
      std::regex_replace(file, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)");
  const std::regex pattern("^" + (file.empty() ? std::string(R"(\S+)") : escaped) + position +
                           ": error: ");
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, pattern)) return true;
  }
  return false;
}

}  // namespace

bool has_located_error(const std::string& output, const std::string& file) {
  return has_line_matching(output, file, R"(:\d+:\d+)");
}

bool has_file_error(const std::string& output, const std::string& file) {
  return has_line_matching(output, file, R"((:\d+:\d+)?)");
}

}  // namespace qcfg::hardening
