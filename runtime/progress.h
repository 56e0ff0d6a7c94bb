// Progress of a run: a bar with tensors, bytes and ETA redrawn in place on a terminal, plain log
// lines (about every 10% or 30 s) otherwise. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>

namespace qcfg::runtime {

class Progress {
 public:
  Progress(uint64_t total_units, uint64_t total_bytes, bool enabled = true);
  void advance(uint64_t bytes);  // one unit done
  void finish();
  double seconds() const;

 private:
  void draw_bar();
  void log_line();

  std::mutex mutex_;
  const uint64_t total_units_, total_bytes_;
  uint64_t units_ = 0, bytes_ = 0;
  bool enabled_, tty_;
  int last_decile_ = 0;
  std::chrono::steady_clock::time_point start_, last_log_;
};

}  // namespace qcfg::runtime
