#include "runtime/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include "resolver/plan.h"

namespace qcfg::runtime {

Progress::Progress(uint64_t total_units, uint64_t total_bytes, bool enabled)
    : total_units_(total_units),
      total_bytes_(total_bytes),
      enabled_(enabled),
      tty_(::isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_log_(start_) {}

double Progress::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::advance(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++units_;
  bytes_ += bytes;
  if (!enabled_) return;
  if (tty_) {
    draw_bar();
    return;
  }
  const int decile = total_bytes_ > 0 ? static_cast<int>(bytes_ * 10 / total_bytes_) : 10;
  const auto now = std::chrono::steady_clock::now();
  // Short runs stay quiet; long ones log each tenth (at most once a second) or every 30 s.
  const auto since = now - last_log_;
  if ((decile > last_decile_ && since > std::chrono::seconds(1)) ||
      since > std::chrono::seconds(30)) {
    last_decile_ = decile;
    last_log_ = now;
    log_line();
  }
}

void Progress::draw_bar() {
  const double frac = total_bytes_ > 0 ? static_cast<double>(bytes_) / total_bytes_ : 1.0;
  const int width = 30;
  const int filled = static_cast<int>(frac * width);
  const double elapsed = seconds();
  const double eta = frac > 0 ? elapsed * (1 - frac) / frac : 0;
  fmt::print(stderr, "\r[{}{}] {}/{} tensors  {} / {}  ETA {:.0f}s ",
             std::string(static_cast<size_t>(filled), '#'),
             std::string(static_cast<size_t>(width - filled), ' '), units_, total_units_,
             resolver::human_bytes(bytes_), resolver::human_bytes(total_bytes_), eta);
}

void Progress::log_line() {
  fmt::print(stderr, "qcfg: {}/{} tensors, {} of {} ({:.1f}s)\n", units_, total_units_,
             resolver::human_bytes(bytes_), resolver::human_bytes(total_bytes_), seconds());
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (enabled_ && tty_) fmt::print(stderr, "\n");
}

}  // namespace qcfg::runtime
