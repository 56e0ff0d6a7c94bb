// One description of "what a quantizer does" (QuantSpec), the fake-quant dispatch on any storage
// type, and the rotate / rotate_back composites of spec §7.
#pragma once

#include <concepts>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "kernels/cpu/fake_quant.h"
#include "kernels/cpu/hadamard.h"
#include "kernels/cpu/storage.h"

namespace qcfg::numerics {

struct IntQuant {
  IntFormat format;
  Granularity granularity;
  std::vector<float> amax;
};
struct Fp8Quant {
  Granularity granularity;
  std::vector<float> amax;
};
struct Nvfp4DynamicQuant {
  float global_amax = 0.0f;
  int64_t block = 16;
  Nvfp4Path path = Nvfp4Path::triton;
};
struct Nvfp4StaticQuant {
  std::vector<float> block_amax;
  float global_amax = 0.0f;
  bool four_over_six = false;
  int64_t block = 16;
};
struct MxQuant {
  MxElement element = MxElement::e2m1;
  int64_t block = 32;
};
using QuantSpec = std::variant<IntQuant, Fp8Quant, Nvfp4DynamicQuant, Nvfp4StaticQuant, MxQuant>;

template <class T>
concept StorageType = std::same_as<T, float> || std::same_as<T, Half> || std::same_as<T, BFloat16>;

// Fake quant in fp32 (x and y may alias).
void fake_quant(const QuantSpec& spec, std::span<const float> x, std::span<float> y,
                const Shape& shape);

// Any storage type: exact widening to fp32, fp32 arithmetic, one RNE rounding of the output.
template <StorageType T>
void fake_quant(const QuantSpec& spec, std::span<const T> x, std::span<T> y, const Shape& shape) {
  std::vector<float> buf(x.size());
  for (size_t i = 0; i < x.size(); ++i) buf[i] = to_float(x[i]);
  fake_quant(spec, std::span<const float>(buf), std::span<float>(buf), shape);
  for (size_t i = 0; i < y.size() && i < buf.size(); ++i) y[i] = from_float<T>(buf[i]);
}

template <StorageType T>
void hadamard_transform(std::span<const T> x, std::span<T> y, const Shape& shape,
                        std::optional<int64_t> block = std::nullopt) {
  std::vector<float> buf(x.size());
  for (size_t i = 0; i < x.size(); ++i) buf[i] = to_float(x[i]);
  hadamard_transform(std::span<const float>(buf), std::span<float>(buf), shape, block);
  for (size_t i = 0; i < y.size() && i < buf.size(); ++i) y[i] = from_float<T>(buf[i]);
}

enum class RotateMode : uint8_t {
  rotate,      // return Q(H(x)), still rotated (cancelling pairs)
  rotate_back  // return H(Q(H(x)))
};

struct RotateConfig {
  RotateMode mode = RotateMode::rotate;
  std::optional<int64_t> block;  // rotate.block_size; auto rule when unset
  // rotate_fp32: transform in fp32 and cast back. Our transform always computes in fp32 (fp64
  // sums) and rounds once to the storage type, so the flag has no numeric effect (spec §12.16).
  bool rotate_fp32 = false;
};

// Steps 4, 9 and 11 of spec §0.1 with every intermediate rounded to the storage type.
template <StorageType T>
void rotate_fake_quant(const QuantSpec& spec, const RotateConfig& rot, std::span<const T> x,
                       std::span<T> y, const Shape& shape) {
  hadamard_transform<T>(x, y, shape, rot.block);
  fake_quant<T>(spec, std::span<const T>(y.data(), y.size()), y, shape);
  if (rot.mode == RotateMode::rotate_back) {
    hadamard_transform<T>(std::span<const T>(y.data(), y.size()), y, shape, rot.block);
  }
}

}  // namespace qcfg::numerics
