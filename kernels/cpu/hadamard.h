// Normalized Hadamard transform along the last dim (spec §7).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "kernels/cpu/shape.h"

namespace qcfg::numerics {

// Block size n: explicit, else D if D is a power of two, else the largest power-of-two divisor.
// Throws std::invalid_argument when the auto rule gives n < 2 (D > 1 odd), n is not a power of
// two, does not divide D, or exceeds 32768. n == 1 (explicit or D == 1) is the identity.
int64_t hadamard_block_size(int64_t dim, std::optional<int64_t> block = std::nullopt);

// y = H(x) on fp32 (x and y may alias). Rounded once to fp32.
void hadamard_transform(std::span<const float> x, std::span<float> y, const Shape& shape,
                        std::optional<int64_t> block = std::nullopt);

}  // namespace qcfg::numerics
