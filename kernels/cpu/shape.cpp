#include "kernels/cpu/shape.h"

#include <stdexcept>
#include <string>

namespace qcfg::numerics {

int64_t numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

namespace {

int normalize_axis(int axis, size_t ndim) {
  const int nd = static_cast<int>(ndim);
  const int a = axis < 0 ? axis + nd : axis;
  if (a < 0 || a >= nd) {
    throw std::invalid_argument("axis " + std::to_string(axis) + " out of range for a " +
                                std::to_string(ndim) + "-d tensor");
  }
  return a;
}

}  // namespace

void validate(const Shape& shape, const Granularity& g) {
  if (shape.empty() || numel(shape) <= 0) throw std::invalid_argument("empty tensor");
  for (int64_t d : shape) {
    if (d <= 0) throw std::invalid_argument("tensor dims must be positive");
  }
  if (const auto* a = std::get_if<PerAxis>(&g)) normalize_axis(a->axis, shape.size());
  if (const auto* b = std::get_if<PerBlock>(&g)) {
    if (b->block <= 0 || b->block_rows <= 0)
      throw std::invalid_argument("block size must be positive");
    if (b->block_rows > 1 && shape.size() < 2) {
      throw std::invalid_argument("2-D blocks need a tensor of rank >= 2");
    }
  }
}

AmaxLayout::AmaxLayout(const Shape& shape, const Granularity& g) {
  validate(shape, g);
  if (std::holds_alternative<PerTensor>(g)) {
    kind_ = Kind::tensor;
    return;
  }
  if (const auto* a = std::get_if<PerAxis>(&g)) {
    kind_ = Kind::axis;
    const int ax = normalize_axis(a->axis, shape.size());
    stride_ = 1;
    for (size_t d = ax + 1; d < shape.size(); ++d) stride_ *= shape[d];
    axis_size_ = shape[ax];
    size_ = axis_size_;
    return;
  }
  const auto& b = std::get<PerBlock>(g);
  kind_ = Kind::block;
  stride_ = shape.back();
  block_ = b.block;
  block_rows_ = b.block_rows;
  col_blocks_ = ceil_div(stride_, block_);
  axis_size_ = b.block_rows > 1 ? shape[shape.size() - 2] : 1;
  row_blocks_ = b.block_rows > 1 ? ceil_div(axis_size_, block_rows_) : 1;
  const int64_t rows = numel(shape) / stride_;
  const int64_t lead = rows / axis_size_;
  size_ = lead * row_blocks_ * col_blocks_;
}

int64_t AmaxLayout::index(int64_t linear) const {
  switch (kind_) {
    case Kind::tensor:
      return 0;
    case Kind::axis:
      return (linear / stride_) % axis_size_;
    case Kind::block: {
      const int64_t row = linear / stride_;
      const int64_t col = linear % stride_;
      const int64_t lead = row / axis_size_;
      const int64_t m = row % axis_size_;
      return (lead * row_blocks_ + m / block_rows_) * col_blocks_ + col / block_;
    }
  }
  return 0;
}

Matrix2D as_matrix(const Shape& shape) {
  if (shape.empty() || numel(shape) <= 0) throw std::invalid_argument("empty tensor");
  return Matrix2D{numel(shape) / shape.back(), shape.back()};
}

}  // namespace qcfg::numerics
