// Helpers for the binding tests: inputs, a set of specs covering every format, the reference
// computed straight from kernels/cpu, and a bit-exact tensor comparison.
#pragma once

#include <ATen/ATen.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "kernels/cpu/numerics.h"

namespace qcfg::tensor_ops::test {

inline const std::vector<at::ScalarType> kFloatTypes = {at::kFloat, at::kHalf, at::kBFloat16};

// Normal values over many magnitudes, with zeros and (optionally) NaN / inf / huge values.
inline at::Tensor mixed_input(std::vector<int64_t> shape, at::ScalarType dtype, uint64_t seed,
                              bool specials) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const auto f = at::TensorOptions().dtype(at::kFloat);
  at::Tensor x = at::randn(shape, gen, f) * at::pow(10.0, at::rand(shape, gen, f) * 6 - 3);
  const at::Tensor pick = at::rand(shape, gen, f);
  x = at::where(pick < 0.03, at::zeros_like(x), x);
  if (specials) {
    x = at::where(pick > 0.995, at::full_like(x, std::numeric_limits<float>::quiet_NaN()), x);
    x = at::where((pick > 0.99) & (pick <= 0.995), at::full_like(x, INFINITY), x);
    x = at::where((pick > 0.985) & (pick <= 0.99), at::full_like(x, 3e38f), x);
  }
  return x.to(dtype);
}

inline std::vector<float> constant_amax(const numerics::Shape& shape, numerics::Granularity g,
                                        float v) {
  return std::vector<float>(static_cast<size_t>(numerics::AmaxLayout(shape, g).size()), v);
}

// One spec per format family, amax values fixed (the glue, not calibration, is under test).
inline std::vector<std::pair<std::string, numerics::QuantSpec>> sample_specs(
    const numerics::Shape& shape) {
  using namespace numerics;
  const Granularity tensor = PerTensor{}, axis0 = PerAxis{0}, block16 = PerBlock{16};
  return {
      {"int8 per tensor", IntQuant{{8, false, false}, tensor, {2.5f}}},
      {"int8 per axis", IntQuant{{8, false, true}, axis0, constant_amax(shape, axis0, 3.0f)}},
      {"int4 block 16", IntQuant{{4, false, false}, block16, constant_amax(shape, block16, 1.5f)}},
      {"fp8 per tensor", Fp8Quant{tensor, {7.0f}}},
      {"fp8 per axis", Fp8Quant{axis0, constant_amax(shape, axis0, 0.5f)}},
      {"nvfp4 dynamic", Nvfp4DynamicQuant{9.0f}},
      {"nvfp4 static", Nvfp4StaticQuant{constant_amax(shape, block16, 2.0f), 9.0f}},
      {"nvfp4 static 4/6", Nvfp4StaticQuant{constant_amax(shape, block16, 2.0f), 9.0f, true}},
      {"mxfp4", MxQuant{MxElement::e2m1, 32}},
      {"mxfp6", MxQuant{MxElement::e3m2, 32}},
      {"mxfp8", MxQuant{MxElement::e4m3, 32}},
      {"mxint8", MxQuant{MxElement::int8, 32}},
  };
}

// Calls f(typed input span, typed output span) on CPU copies of x; returns the output tensor.
template <class F>
at::Tensor on_storage(const at::Tensor& x, F&& f) {
  const at::Tensor in = x.to(at::kCPU).contiguous();
  at::Tensor out = at::empty_like(in);
  const auto n = static_cast<size_t>(in.numel());
  auto run = [&](auto* tag) {
    using T = std::remove_pointer_t<decltype(tag)>;
    f(std::span<const T>(static_cast<const T*>(in.data_ptr()), n),
      std::span<T>(static_cast<T*>(out.data_ptr()), n));
  };
  if (in.scalar_type() == at::kFloat) run(static_cast<float*>(nullptr));
  if (in.scalar_type() == at::kHalf) run(static_cast<numerics::Half*>(nullptr));
  if (in.scalar_type() == at::kBFloat16) run(static_cast<numerics::BFloat16*>(nullptr));
  return out;
}

inline numerics::Shape shape_vec(const at::Tensor& x) { return {x.sizes().begin(), x.sizes().end()}; }

inline at::Tensor reference_fake_quant(const at::Tensor& x, const numerics::QuantSpec& spec) {
  return on_storage(x, [&](auto in, auto out) { numerics::fake_quant(spec, in, out, shape_vec(x)); });
}

inline at::Tensor reference_hadamard(const at::Tensor& x, int64_t block) {
  return on_storage(x, [&](auto in, auto out) {
    numerics::hadamard_transform(in, out, shape_vec(x), block);
  });
}

inline at::Tensor reference_rotate(const at::Tensor& x, const numerics::QuantSpec& spec,
                                   const numerics::RotateConfig& rot) {
  return on_storage(x, [&](auto in, auto out) {
    numerics::rotate_fake_quant(spec, rot, in, out, shape_vec(x));
  });
}

// Same dtype, shape and bits; any NaN equals any NaN. Vectorized (the GPU tests compare 10^8).
inline bool bits_equal(const at::Tensor& got, const at::Tensor& want) {
  if (got.scalar_type() != want.scalar_type() || got.sizes() != want.sizes()) return false;
  const at::Tensor a = got.to(at::kCPU).contiguous(), b = want.to(at::kCPU).contiguous();
  const auto as_int = a.element_size() == 4 ? at::kInt : at::kShort;
  const at::Tensor same = at::eq(a.view(as_int), b.view(as_int)) | (at::isnan(a) & at::isnan(b));
  return same.all().item<bool>();
}

}  // namespace qcfg::tensor_ops::test
