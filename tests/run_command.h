// Running a shell command from a test (the qcfg binary, python3 ...): one helper for every test
// executable that checks a command's exit status and output.
#pragma once

#include <string>

namespace qcfg::test {

// What a command left: its exit status (128 + the signal when it was killed) and its stdout.
struct Run {
  int status = -1;
  std::string out;
};

// Runs `command` through /bin/sh and collects its stdout (append "2>&1" to collect stderr too).
// Throws std::runtime_error when the shell cannot be started.
Run run_command(const std::string& command);

}  // namespace qcfg::test
