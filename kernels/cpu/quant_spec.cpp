#include "kernels/cpu/quant_spec.h"

namespace qcfg::numerics {

namespace {

struct Dispatch {
  std::span<const float> x;
  std::span<float> y;
  const Shape& shape;

  void operator()(const IntQuant& q) const {
    int_fake_quant(x, y, shape, q.format, q.granularity, q.amax);
  }
  void operator()(const Fp8Quant& q) const { fp8_fake_quant(x, y, shape, q.granularity, q.amax); }
  void operator()(const Nvfp4DynamicQuant& q) const {
    nvfp4_dynamic_fake_quant(x, y, shape, q.global_amax, q.block, q.path);
  }
  void operator()(const Nvfp4StaticQuant& q) const {
    nvfp4_static_fake_quant(x, y, shape, q.block_amax, q.global_amax, q.four_over_six, q.block);
  }
  void operator()(const MxQuant& q) const { mx_fake_quant(x, y, shape, q.element, q.block); }
};

}  // namespace

void fake_quant(const QuantSpec& spec, std::span<const float> x, std::span<float> y,
                const Shape& shape) {
  std::visit(Dispatch{x, y, shape}, spec);
}

}  // namespace qcfg::numerics
