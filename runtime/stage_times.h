// Where a run's time goes: wall time of each stage summed over the worker threads. Stages of
// different jobs overlap, so the sums can exceed the run's wall time; their ratios show which
// stage bounds the run (benchmarks print them next to the end-to-end figure).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace qcfg::runtime {

// unit: a whole unit's reading and computing (Stage::read is the reading part of it).
enum class Stage { read, unit, write, flush, count };

class StageTimes {
 public:
  void add(Stage s, std::chrono::steady_clock::duration d) {
    ns_[static_cast<int>(s)] += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  }
  double seconds(Stage s) const { return static_cast<double>(ns_[static_cast<int>(s)]) * 1e-9; }

 private:
  std::atomic<int64_t> ns_[static_cast<int>(Stage::count)] = {};
};

// Adds the lifetime of the scope to one stage (nothing when `times` is null).
class StageTimer {
 public:
  StageTimer(StageTimes* times, Stage s)
      : times_(times), stage_(s), start_(std::chrono::steady_clock::now()) {}
  ~StageTimer() {
    if (times_ != nullptr) times_->add(stage_, std::chrono::steady_clock::now() - start_);
  }
  StageTimer(const StageTimer&) = delete;
  StageTimer& operator=(const StageTimer&) = delete;

 private:
  StageTimes* times_;
  Stage stage_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace qcfg::runtime
