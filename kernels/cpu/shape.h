// Tensor shapes and quantization granularities (per tensor / per axis / per block) and the map
// from an element's linear index to the amax entry that governs it.
#pragma once

#include <cstdint>
#include <span>
#include <variant>
#include <vector>

namespace qcfg::numerics {

using Shape = std::vector<int64_t>;

struct PerTensor {};
// Per-channel: amax has one entry per index of `axis` (negative counts from the end).
struct PerAxis {
  int axis = 0;
};
// Static blocks along the last dim (`block`), optionally also along the second-to-last dim
// (`block_rows` > 1, e.g. FP8 128x128). Partial blocks are zero-padded (spec §5.1). amax layout:
// (*leading, ceil(M/block_rows), ceil(K/block)) flattened row-major.
struct PerBlock {
  int64_t block = 0;
  int64_t block_rows = 1;
};
using Granularity = std::variant<PerTensor, PerAxis, PerBlock>;

int64_t numel(const Shape& shape);

// Throws std::invalid_argument for an empty shape/tensor or a granularity that does not fit.
void validate(const Shape& shape, const Granularity& g);

// Maps the linear index of an element of a contiguous tensor to its amax entry.
class AmaxLayout {
 public:
  AmaxLayout(const Shape& shape, const Granularity& g);
  int64_t size() const { return size_; }
  int64_t index(int64_t linear) const;

 private:
  enum class Kind { tensor, axis, block } kind_;
  int64_t size_ = 1;
  int64_t stride_ = 1;     // axis: stride of the axis; block: K
  int64_t axis_size_ = 1;  // axis: its size; block: M (rows of the second-to-last dim)
  int64_t block_ = 1, block_rows_ = 1, col_blocks_ = 1, row_blocks_ = 1;
};

// Rows x cols view of a tensor: cols = last dim, rows = product of the others.
struct Matrix2D {
  int64_t rows;
  int64_t cols;
};
Matrix2D as_matrix(const Shape& shape);

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline bool is_power_of_two(int64_t v) { return v > 0 && (v & (v - 1)) == 0; }

}  // namespace qcfg::numerics
