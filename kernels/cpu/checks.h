// Argument checks shared by the CPU entry points; all throw std::invalid_argument.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

#include "kernels/cpu/shape.h"

namespace qcfg::numerics::detail {

inline void check_buffers(size_t x_size, size_t y_size, const Shape& shape) {
  if (shape.empty() || numel(shape) <= 0) throw std::invalid_argument("empty tensor");
  const auto n = static_cast<size_t>(numel(shape));
  if (x_size != n || y_size != n) {
    throw std::invalid_argument("buffer size " + std::to_string(x_size) + "/" +
                                std::to_string(y_size) + " does not match shape numel " +
                                std::to_string(n));
  }
}

inline void check_amax_count(size_t got, int64_t want, const char* what) {
  if (static_cast<int64_t>(got) != want) {
    throw std::invalid_argument(std::string(what) + ": expected " + std::to_string(want) +
                                " amax values, got " + std::to_string(got));
  }
}

inline void check_positive_block(int64_t block, const char* what) {
  if (block <= 0) throw std::invalid_argument(std::string(what) + ": block size must be positive");
}

}  // namespace qcfg::numerics::detail
