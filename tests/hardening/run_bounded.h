// Runs the qcfg binary on one hostile input in a child process with hard bounds: a CPU-time
// limit, a wall-clock kill and a memory cap (RLIMIT_AS; under AddressSanitizer, which reserves
// terabytes of address space, ASan's own hard_rss_limit_mb instead). The bounds are generous:
// they turn a hang or a blow-up into a test failure, they do not time anything.
#pragma once

#include <string>
#include <vector>

namespace qcfg::hardening {

struct Bounds {
  int cpu_seconds = 20;
  int wall_seconds = 60;  // shared CI machines are slow; a hang is still caught
  long memory_mb = 2048;  // address space (libtorch alone maps ~700 MiB), or RSS under ASan
};

struct Outcome {
  bool exited = false;  // false: killed by a signal (crash, limit, watchdog)
  int exit_code = -1;
  int signal = 0;
  bool timed_out = false;  // the wall-clock watchdog killed it
  std::string output;      // stdout and stderr together
};

// Runs `argv` (argv[0] is the executable) in `cwd` (empty: the current directory).
Outcome run_bounded(const std::vector<std::string>& argv, const std::string& cwd,
                    const Bounds& bounds = {});

// A line starting "file:line:col: error: " — a located error about `file` (any file when `file`
// is empty), in the form every qcfg command prints (not "error: file:line:col: ...").
bool has_located_error(const std::string& output, const std::string& file);

// A line starting "file: error: " or "file:line:col: error: " — an error about `file` as a whole
// (unreadable, too large) or at a place in it.
bool has_file_error(const std::string& output, const std::string& file);

}  // namespace qcfg::hardening
