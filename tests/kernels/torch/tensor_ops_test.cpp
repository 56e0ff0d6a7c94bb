// The LibTorch binding: on the CPU it must give exactly the reference's bits (the glue reinterprets
// storage and shapes, nothing else), and it must turn bad arguments into clear errors.
#include <cstring>
#include <string>

#include "kernels/torch/tensor_ops.h"
#include "tests/kernels/torch/tensor_ops_util.h"
#include "tests/torch_doctest.h"

namespace qcfg::tensor_ops {
namespace {

using namespace test;

TEST_CASE("fake_quant on CPU equals the reference for every spec and dtype") {
  for (const auto dtype : kFloatTypes) {
    for (const auto& [name, spec] : sample_specs({6, 64})) {
      CAPTURE(name);
      const std::string dtype_name = c10::toString(dtype);
      CAPTURE(dtype_name);
      const at::Tensor x = mixed_input({6, 64}, dtype, 11, /*specials=*/false);
      const at::Tensor got = fake_quant(x, spec);
      CHECK((got.scalar_type() == dtype));  // (c10::toString would hijack decomposition)
      CHECK(got.sizes() == x.sizes());
      CHECK(bits_equal(got, reference_fake_quant(x, spec)));
    }
  }
}

TEST_CASE("unsigned integer formats take non-negative inputs only") {
  const numerics::QuantSpec uint4 = numerics::IntQuant{{4, true, false}, numerics::PerTensor{}, {2.0f}};
  const at::Tensor x = mixed_input({3, 16}, at::kHalf, 4, false);
  CHECK(bits_equal(fake_quant(x.abs(), uint4), reference_fake_quant(x.abs(), uint4)));
  CHECK_THROWS_WITH_AS(fake_quant(x, uint4), doctest::Contains("Negative values"),
                       std::invalid_argument);
}

TEST_CASE("non-contiguous inputs are quantized as their contiguous copy") {
  const at::Tensor x = mixed_input({64, 6}, at::kBFloat16, 3, false).t();
  const numerics::QuantSpec spec = numerics::Nvfp4DynamicQuant{5.0f};
  CHECK(bits_equal(fake_quant(x, spec), fake_quant(x.contiguous(), spec)));
}

TEST_CASE("hadamard and rotate composites equal the reference") {
  const at::Tensor x = mixed_input({4, 128}, at::kHalf, 5, false);
  const numerics::QuantSpec spec = numerics::Nvfp4DynamicQuant{40.0f};
  for (const auto mode : {numerics::RotateMode::rotate, numerics::RotateMode::rotate_back}) {
    for (const std::optional<int64_t> block : {std::optional<int64_t>{}, std::optional<int64_t>{16}}) {
      const numerics::RotateConfig rot{mode, block};
      CHECK(bits_equal(rotate_fake_quant(x, spec, rot), reference_rotate(x, spec, rot)));
    }
  }
  CHECK(bits_equal(hadamard(x, 32), reference_hadamard(x, 32)));
}

TEST_CASE("max calibration, alone and jointly") {
  const at::Tensor a = mixed_input({8, 32}, at::kFloat, 1, false);
  const at::Tensor b = mixed_input({8, 32}, at::kFloat, 2, false);
  const numerics::Granularity per_block = numerics::PerBlock{16};
  const auto amax_a = max_amax(a, per_block);
  REQUIRE(amax_a.size() == 16);
  JointCalibrator joint(per_block);
  joint.collect(a);
  joint.collect(b);
  const auto amax_b = max_amax(b, per_block);
  for (size_t i = 0; i < amax_a.size(); ++i) CHECK(joint.amax()[i] == std::max(amax_a[i], amax_b[i]));
  CHECK_THROWS_WITH_AS(joint.collect(mixed_input({4, 32}, at::kFloat, 3, false)),
                       "amax shape changed!", std::runtime_error);
  at::Tensor with_nan = a.clone();
  with_nan.view(-1)[5] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_AS(max_amax(with_nan, numerics::PerTensor{}), std::runtime_error);
}

TEST_CASE("packing returns the reference bytes in the export shapes") {
  const at::Tensor w = mixed_input({4, 32}, at::kBFloat16, 9, false);
  const Packed p = pack_nvfp4(w, 12.0f);
  CHECK(p.codes.sizes() == at::IntArrayRef({4, 16}));
  CHECK(p.scales.sizes() == at::IntArrayRef({4, 2}));
  const at::Tensor f32 = w.to(at::kFloat).contiguous();
  const auto want = numerics::pack_nvfp4_dynamic(
      {f32.data_ptr<float>(), static_cast<size_t>(f32.numel())}, {4, 32}, 12.0f);
  CHECK(std::memcmp(p.codes.data_ptr(), want.codes.data(), want.codes.size()) == 0);
  CHECK(std::memcmp(p.scales.data_ptr(), want.scales.data(), want.scales.size()) == 0);
  CHECK(p.global_scale == want.global_scale);

  const Packed i8 = pack_int8(w, numerics::PerAxis{0}, max_amax(w, numerics::PerAxis{0}));
  CHECK((i8.codes.scalar_type() == at::kChar));
  CHECK(i8.scales.sizes() == at::IntArrayRef({4}));
  const Packed f8 = pack_fp8(w, numerics::PerTensor{}, max_amax(w, numerics::PerTensor{}));
  CHECK(f8.scales.dim() == 0);
  const Packed i4 = pack_int4(w, 16, max_amax(w, numerics::PerBlock{16}));
  CHECK(i4.codes.sizes() == at::IntArrayRef({2, 32}));
  CHECK(i4.scales.sizes() == at::IntArrayRef({4, 2}));
  CHECK(pack_mxfp4(w).scales.sizes() == at::IntArrayRef({4, 1}));
  CHECK(pack_mxfp8(w).codes.sizes() == at::IntArrayRef({4, 32}));
}

TEST_CASE("bad arguments raise clear errors") {
  const numerics::QuantSpec fp8 = numerics::Fp8Quant{numerics::PerTensor{}, {1.0f}};
  CHECK_THROWS_WITH_AS(fake_quant(at::ones({4, 4}, at::kInt), fp8),
                       doctest::Contains("is not supported; pass a float32, float16 or bfloat16"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(fake_quant(at::ones({0, 4}), fp8), doctest::Contains("empty tensor"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(hadamard(at::ones({2, 24}), 12), doctest::Contains("hadamard:"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(pack_nvfp4(at::ones({2, 20}), 1.0f),
                       doctest::Contains("not a multiple of 16"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(pack_int4(at::ones({2, 2, 16}), 16, std::vector<float>(4, 1.0f)),
                       doctest::Contains("2-D"), std::invalid_argument);
  const numerics::QuantSpec wrong_count = numerics::Fp8Quant{numerics::PerAxis{0}, {1.0f}};
  CHECK_THROWS_WITH_AS(fake_quant(at::ones({4, 4}), wrong_count),
                       doctest::Contains("fake_quant: "), std::invalid_argument);
}

}  // namespace
}  // namespace qcfg::tensor_ops
