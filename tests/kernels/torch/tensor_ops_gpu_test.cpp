// The binding on CUDA tensors against the CPU reference, bit for bit, on randomized inputs of many
// shapes (odd row counts, partial blocks, zeros, tiny and huge values, NaN / inf). Skips without a
// CUDA device. QCFG_GPU_ELEMENTS sets the elements compared per format (default 2^21; the GPU
// machine run in docs/benchmarks.md uses 10^8).
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "kernels/torch/tensor_ops.h"
#include "tests/kernels/torch/tensor_ops_util.h"
#include "tests/torch_doctest.h"

namespace qcfg::tensor_ops {
namespace {

using namespace test;

int64_t elements_per_format() {
  const char* env = std::getenv("QCFG_GPU_ELEMENTS");
  return env != nullptr ? std::atoll(env) : int64_t{1} << 21;
}

bool skip_without_gpu() {
  if (cuda_available()) return false;
  MESSAGE("skipped: no CUDA device (or a build without LibTorch's CUDA backend)");
  return true;
}

// Shapes cycled through: odd rows, widths with partial 16/32 blocks where the format allows.
const std::vector<std::vector<int64_t>> kShapes = {
    {1, 4096}, {37, 1024}, {3, 5, 256}, {129, 2048}, {7, 8192}, {1024, 4096}, {2047, 512}};

struct Tally {
  std::map<std::string, int64_t> elements, mismatches;
  void add(const std::string& name, int64_t n, bool equal) {
    elements[name] += n;
    mismatches[name] += equal ? 0 : 1;
  }
  void print() const {
    for (const auto& [name, n] : elements) {
      std::printf("gpu==cpu %-22s %12lld elements, %lld mismatching chunks\n", name.c_str(),
                  static_cast<long long>(n), static_cast<long long>(mismatches.at(name)));
    }
  }
};

// Runs body(x_cpu, x_gpu, name_prefix) over chunks until every format saw the element budget.
template <class Body>
void over_chunks(Body&& body) {
  const int64_t budget = elements_per_format();
  int64_t done = 0;
  for (uint64_t seed = 1; done < budget; ++seed) {
    const auto& shape = kShapes[seed % kShapes.size()];
    const auto dtype = kFloatTypes[seed % kFloatTypes.size()];
    const bool specials = seed % 2 == 0;
    const at::Tensor x = mixed_input(shape, dtype, seed, specials);
    body(x, x.to(at::kCUDA), specials);
    done += x.numel();
  }
}

TEST_CASE("GPU fake quant == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  Tally tally;
  over_chunks([&](const at::Tensor& x, const at::Tensor& xg, bool) {
    for (const auto& [name, spec] : sample_specs(shape_vec(x))) {
      const bool equal = bits_equal(fake_quant(xg, spec), reference_fake_quant(x, spec));
      CHECK_MESSAGE(equal, name, " ", c10::toString(x.scalar_type()), " ", x.sizes());
      tally.add(name, x.numel(), equal);
    }
  });
  tally.print();
}

TEST_CASE("GPU Hadamard and fused rotate == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  Tally tally;
  over_chunks([&](const at::Tensor& x, const at::Tensor& xg, bool) {
    for (const int64_t block : {16, 32, 64, 128, 256}) {
      const bool equal = bits_equal(hadamard(xg, block), reference_hadamard(x, block));
      tally.add("hadamard " + std::to_string(block), x.numel(), equal);
      CHECK_MESSAGE(equal, "hadamard ", block, " ", x.sizes());
    }
    const int64_t full = x.size(-1);
    tally.add("hadamard full", x.numel(), bits_equal(hadamard(xg), reference_hadamard(x, full)));
    const numerics::QuantSpec nvfp4 = numerics::Nvfp4DynamicQuant{6.0f * 448.0f / 64.0f};
    for (const int64_t block : {16, 128}) {
      const numerics::RotateConfig rot{numerics::RotateMode::rotate_back, block};
      const bool equal =
          bits_equal(rotate_fake_quant(xg, nvfp4, rot), reference_rotate(x, nvfp4, rot));
      tally.add("rotate_back nvfp4 " + std::to_string(block), x.numel(), equal);
      CHECK_MESSAGE(equal, "rotate_back ", block, " ", x.sizes());
    }
  });
  tally.print();
}

TEST_CASE("GPU NVFP4 packing == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  Tally tally;
  over_chunks([&](const at::Tensor& x, const at::Tensor& xg, bool) {
    for (const float global_amax : {1.0f, 448.0f * 6.0f, 3.0e-3f}) {
      const Packed got = pack_nvfp4(xg, global_amax), want = pack_nvfp4(x, global_amax);
      const bool equal = at::equal(got.codes.cpu(), want.codes) &&
                         at::equal(got.scales.cpu(), want.scales) &&
                         got.global_scale == want.global_scale;
      tally.add("pack nvfp4", x.numel(), equal);
      CHECK_MESSAGE(equal, "pack_nvfp4 ", global_amax, " ", x.sizes());
    }
  });
  tally.print();
}

TEST_CASE("GPU max calibration == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  Tally tally;
  over_chunks([&](const at::Tensor& x, const at::Tensor& xg, bool specials) {
    for (const numerics::Granularity g :
         {numerics::Granularity{numerics::PerTensor{}}, numerics::Granularity{numerics::PerBlock{16}},
          numerics::Granularity{numerics::PerAxis{0}}}) {
      if (specials) {
        CHECK_THROWS_AS(max_amax(xg, g), std::runtime_error);
        continue;
      }
      const bool equal = max_amax(xg, g) == max_amax(x, g);
      tally.add("amax g" + std::to_string(g.index()), x.numel(), equal);
      CHECK(equal);
    }
  });
  tally.print();
}

}  // namespace
}  // namespace qcfg::tensor_ops
