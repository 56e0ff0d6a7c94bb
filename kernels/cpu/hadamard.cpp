#include "kernels/cpu/hadamard.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/cpu/checks.h"
#include "kernels/cpu/hadamard_core.h"

namespace qcfg::numerics {

int64_t hadamard_block_size(int64_t dim, std::optional<int64_t> block) {
  if (dim <= 0) throw std::invalid_argument("Hadamard: empty last dim");
  int64_t n = 0;
  if (block) {
    n = *block;
  } else if (is_power_of_two(dim)) {
    n = dim;
  } else {
    n = dim & -dim;
    if (n < 2) {
      throw std::invalid_argument("Hadamard: last dim " + std::to_string(dim) +
                                  " has no power-of-two divisor >= 2; set rotate.block_size");
    }
  }
  if (!is_power_of_two(n)) {
    throw std::invalid_argument("Hadamard: block size " + std::to_string(n) +
                                " is not a power of two");
  }
  if (dim % n != 0) {
    throw std::invalid_argument("Hadamard: block size " + std::to_string(n) +
                                " does not divide the last dim " + std::to_string(dim));
  }
  if (n > (int64_t{1} << kMaxHadamardLog2)) {
    throw std::invalid_argument("Hadamard: block size " + std::to_string(n) + " exceeds 32768");
  }
  return n;
}

void hadamard_transform(std::span<const float> x, std::span<float> y, const Shape& shape,
                        std::optional<int64_t> block) {
  detail::check_buffers(x.size(), y.size(), shape);
  const int64_t n = hadamard_block_size(shape.back(), block);
  int log2n = 0;
  while ((int64_t{1} << log2n) < n) ++log2n;
  const float scale = hadamard_scale(log2n);
  std::vector<double> buf(static_cast<size_t>(n));
  for (size_t base = 0; base < x.size(); base += static_cast<size_t>(n)) {
    for (int64_t i = 0; i < n; ++i) buf[i] = x[base + i];
    for (int64_t h = n / 2; h >= 1; h /= 2) {  // canonical order: highest bit first
      for (int64_t i = 0; i < n; ++i) {
        if ((i & h) == 0) hadamard_butterfly(buf[i], buf[i + h]);
      }
    }
    for (int64_t i = 0; i < n; ++i)
      y[base + i] = n == 1 ? x[base + i] : hadamard_finish(buf[i], scale);
  }
}

}  // namespace qcfg::numerics
