// The binding on CUDA tensors against the CPU reference, bit for bit, on randomized inputs of many
// shapes (odd row counts, partial blocks, zeros, tiny and huge values, NaN / inf). Skips without a
// CUDA device. QCFG_GPU_ELEMENTS sets the elements compared per format (default 2^21; the GPU
// machine run in docs/benchmarks.md uses 10^8).
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

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
const std::vector<std::vector<int64_t>> kShapes = {{1, 4096},   {37, 1024}, {3, 5, 256},
                                                   {129, 2048}, {7, 8192},  {1024, 4096},
                                                   {2047, 512}, {3, 32768}};

// One comparison: which op, how many elements, equal or not (and where, for the failure message).
struct Result {
  std::string name;
  int64_t elements;
  bool equal;
  std::string where;
};
using Results = std::vector<Result>;

std::string describe(const at::Tensor& x) {
  return std::string(c10::toString(x.scalar_type())) + " " + c10::str(x.sizes());
}

// Runs body(x_cpu, x_gpu, specials) -> Results over random chunks until every op saw the element
// budget. Chunks run on all host threads (the CPU reference is single-threaded); assertions and the
// summary happen on the test thread (doctest is not thread-safe).
template <class Body>
void over_chunks(Body&& body) {
  const int64_t budget = elements_per_format();
  const unsigned workers = std::max(1u, std::thread::hardware_concurrency());
  std::mutex mutex;
  std::vector<Result> all;
  std::atomic<int64_t> done{0};
  std::atomic<uint64_t> next_seed{1};
  std::string error;
  auto work = [&] {
    while (done.load() < budget) {
      const uint64_t seed = next_seed++;
      const auto& shape = kShapes[seed % kShapes.size()];
      const auto dtype = kFloatTypes[seed % kFloatTypes.size()];
      const bool specials = seed % 2 == 0;
      const at::Tensor x = mixed_input(shape, dtype, seed, specials);
      try {
        Results r = body(x, x.to(at::kCUDA), specials);
        const std::lock_guard<std::mutex> lock(mutex);
        all.insert(all.end(), r.begin(), r.end());
      } catch (const std::exception& e) {
        const std::lock_guard<std::mutex> lock(mutex);
        error = e.what();
        done = budget;
      }
      done += x.numel();
    }
  };
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < workers; ++i) threads.emplace_back(work);
  for (auto& t : threads) t.join();
  REQUIRE_MESSAGE(error.empty(), error);
  std::map<std::string, std::pair<int64_t, int64_t>> tally;  // elements, mismatching chunks
  for (const auto& r : all) {
    CHECK_MESSAGE(r.equal, r.name, " ", r.where);
    tally[r.name].first += r.elements;
    tally[r.name].second += r.equal ? 0 : 1;
  }
  for (const auto& [name, t] : tally) {
    std::printf("gpu==cpu %-26s %12lld elements, %lld mismatching chunks\n", name.c_str(),
                static_cast<long long>(t.first), static_cast<long long>(t.second));
  }
}

// The vectors that numerics_ref.py (the spec's plain-Python reference) generated
// (tests/kernels/data/ref_vectors.txt: kind, params ; x ; y as fp32 hex), run on the GPU.
struct RefVector {
  std::string kind;
  std::vector<std::string> params;
  std::vector<float> x, y;
};

float hex_float(const std::string& s) {
  const auto bits = static_cast<uint32_t>(std::stoul(s, nullptr, 16));
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

std::vector<RefVector> load_ref_vectors() {
  std::ifstream in(QCFG_KERNELS_TEST_DATA "/ref_vectors.txt");
  REQUIRE(in.good());
  std::vector<RefVector> out;
  for (std::string line; std::getline(in, line);) {
    std::istringstream ss(line);
    RefVector v;
    ss >> v.kind;
    int section = 0;
    for (std::string tok; ss >> tok;) {
      if (tok == ";")
        ++section;
      else if (section == 0)
        v.params.push_back(tok);
      else
        (section == 1 ? v.x : v.y).push_back(hex_float(tok));
    }
    out.push_back(std::move(v));
  }
  return out;
}

at::Tensor run_ref_vector(const RefVector& v, const at::Tensor& x) {
  using namespace numerics;
  if (v.kind == "hadamard") return hadamard(x);
  QuantSpec spec;
  if (v.kind == "int") {
    spec = IntQuant{{std::stoi(v.params[0]), v.params[1] == "1", v.params[2] == "1"},
                    PerTensor{},
                    {hex_float(v.params[3])}};
  } else if (v.kind == "fp8") {
    spec = Fp8Quant{PerTensor{}, {hex_float(v.params[0])}};
  } else if (v.kind == "nvfp4" || v.kind == "nvfp4cuda") {
    spec = Nvfp4DynamicQuant{hex_float(v.params[0]), 16,
                             v.kind == "nvfp4" ? Nvfp4Path::triton : Nvfp4Path::cuda_extension};
  } else if (v.kind == "nvfp4static") {
    spec = Nvfp4StaticQuant{{hex_float(v.params[0])}, hex_float(v.params[1]), v.params[2] == "256"};
  } else if (v.kind == "mxfp4") {
    spec = MxQuant{MxElement::e2m1, 32};
  } else {
    FAIL("unknown kind " << v.kind);
  }
  return fake_quant(x, spec);
}

void check_ref_vectors(const at::Device& device) {
  const auto vectors = load_ref_vectors();
  CHECK(vectors.size() > 200);
  for (const RefVector& v : vectors) {
    // numerics_ref.py divides static NVFP4 scales by 6; ModelOpt 0.47 multiplies by f32(1/6) and
    // divides as Triton does (docs/numerics.md), which tests/kernels and the goldens check.
    if (v.kind == "nvfp4static") continue;
    CAPTURE(v.kind);
    const at::Tensor x = at::tensor(c10::ArrayRef<float>(v.x)).to(device);
    const at::Tensor want = at::tensor(c10::ArrayRef<float>(v.y));
    CHECK(bits_equal(run_ref_vector(v, x), want));
  }
}

TEST_CASE("the numerics_ref.py vectors through the binding, CPU") { check_ref_vectors(at::kCPU); }

TEST_CASE("GPU: the numerics_ref.py vectors, bit for bit") {
  if (skip_without_gpu()) return;
  check_ref_vectors(at::kCUDA);
}

TEST_CASE("GPU fake quant == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  over_chunks([](const at::Tensor& x, const at::Tensor& xg, bool) {
    Results out;
    for (const auto& [name, spec] : sample_specs(shape_vec(x))) {
      out.push_back({name, x.numel(),
                     bits_equal(fake_quant(xg, spec), reference_fake_quant(x, spec)), describe(x)});
    }
    return out;
  });
}

TEST_CASE("GPU Hadamard and fused rotate == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  over_chunks([](const at::Tensor& x, const at::Tensor& xg, bool) {
    Results out;
    for (const int64_t block : {16, 32, 64, 128, 256}) {
      out.push_back({"hadamard " + std::to_string(block), x.numel(),
                     bits_equal(hadamard(xg, block), reference_hadamard(x, block)), describe(x)});
    }
    out.push_back({"hadamard full", x.numel(),
                   bits_equal(hadamard(xg), reference_hadamard(x, x.size(-1))), describe(x)});
    const numerics::QuantSpec nvfp4 = numerics::Nvfp4DynamicQuant{6.0f * 448.0f / 64.0f};
    for (const int64_t block : {16, 32, 64, 128}) {
      const numerics::RotateConfig rot{numerics::RotateMode::rotate_back, block};
      out.push_back({"rotate_back nvfp4 " + std::to_string(block), x.numel(),
                     bits_equal(rotate_fake_quant(xg, nvfp4, rot), reference_rotate(x, nvfp4, rot)),
                     describe(x)});
    }
    return out;
  });
}

TEST_CASE("GPU NVFP4 packing == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  over_chunks([](const at::Tensor& x, const at::Tensor& xg, bool) {
    Results out;
    for (const float global_amax : {1.0f, 448.0f * 6.0f, 3.0e-3f}) {
      const Packed got = pack_nvfp4(xg, global_amax), want = pack_nvfp4(x, global_amax);
      const bool equal = at::equal(got.codes.cpu(), want.codes) &&
                         at::equal(got.scales.cpu(), want.scales) &&
                         got.global_scale == want.global_scale;
      out.push_back({"pack nvfp4", x.numel(), equal, describe(x)});
    }
    return out;
  });
}

TEST_CASE("GPU FP8, INT8 and INT4 packing == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  over_chunks([](const at::Tensor& x, const at::Tensor& xg, bool specials) {
    Results out;
    auto same = [](const Packed& got, const Packed& want) {
      return at::equal(got.codes.cpu(), want.codes) && at::equal(got.scales.cpu(), want.scales);
    };
    // Calibration rejects NaN / inf; the amax comes from the finite part, the specials are packed.
    const at::Tensor finite = specials ? at::nan_to_num(x.to(at::kFloat), 0.0, 0.0, 0.0) : x;
    const std::vector<numerics::Granularity> grans = {numerics::PerTensor{}, numerics::PerAxis{0}};
    for (const auto& g : grans) {
      const std::vector<float> amax = max_amax(finite, g);
      const std::string label =
          std::holds_alternative<numerics::PerTensor>(g) ? "tensor" : "axis 0";
      out.push_back({"pack fp8 per " + label, x.numel(),
                     same(pack_fp8(xg, g, amax), pack_fp8(x, g, amax)), describe(x)});
      out.push_back({"pack int8 per " + label, x.numel(),
                     same(pack_int8(xg, g, amax), pack_int8(x, g, amax)), describe(x)});
    }
    // per-tensor FP8 with the quotient rounded to a 16-bit checkpoint dtype (ModelOpt's export)
    const std::vector<float> amax = max_amax(finite, numerics::PerTensor{});
    for (const at::ScalarType stored : {at::kBFloat16, at::kHalf}) {
      const auto g = numerics::PerTensor{};
      out.push_back({std::string("pack fp8 per tensor, quotient in ") + c10::toString(stored),
                     x.numel(), same(pack_fp8(xg, g, amax, stored), pack_fp8(x, g, amax, stored)),
                     describe(x)});
    }
    if (x.dim() == 2 && x.size(0) % 2 == 0) {
      for (const int64_t block : {16, 128}) {
        const std::vector<float> amax = max_amax(finite, numerics::PerBlock{block});
        out.push_back({"pack int4 block " + std::to_string(block), x.numel(),
                       same(pack_int4(xg, block, amax), pack_int4(x, block, amax)), describe(x)});
      }
    }
    return out;
  });
}

TEST_CASE("GPU max calibration == CPU reference, randomized") {
  if (skip_without_gpu()) return;
  over_chunks([](const at::Tensor& x, const at::Tensor& xg, bool specials) {
    Results out;
    const std::vector<numerics::Granularity> grans = {numerics::PerTensor{}, numerics::PerBlock{16},
                                                      numerics::PerAxis{0}};
    for (size_t i = 0; i < grans.size(); ++i) {
      const std::string name = "amax " + std::string(i == 0   ? "per tensor"
                                                     : i == 1 ? "block 16"
                                                              : "per axis");
      if (specials) {
        bool threw = false;
        try {
          (void)max_amax(xg, grans[i]);
        } catch (const std::runtime_error&) {
          threw = true;
        }
        out.push_back({name + " (NaN/inf rejected)", x.numel(), threw, describe(x)});
        continue;
      }
      out.push_back(
          {name, x.numel(), max_amax(xg, grans[i]) == max_amax(x, grans[i]), describe(x)});
    }
    return out;
  });
}

TEST_CASE("GPU fold_amax == CPU, bit for bit, randomized") {
  // Calibration's per-observation op (torch.ops.qcfg.observe_amax_): the device's running amax
  // after two tensors (the second a permuted view, read as its storage range), NaN / inf included.
  if (skip_without_gpu()) return;
  over_chunks([](const at::Tensor& x, const at::Tensor& xg, bool) {
    at::Tensor acc = at::zeros({3}, at::kFloat), accg = acc.to(at::kCUDA);
    fold_amax(acc, 1, x);
    fold_amax(accg, 1, xg);
    const at::Tensor y = (x * 0.5).to(x.scalar_type()), yg = y.to(at::kCUDA);
    const int64_t last = y.dim() - 1;
    fold_amax(acc, 1, y.transpose(0, last));
    fold_amax(accg, 1, yg.transpose(0, last));
    fold_amax(acc, 2, y);
    fold_amax(accg, 2, yg);
    // bit for bit, except that a NaN's payload may differ (fp16 widening on the host and on the
    // device need not keep the same one): NaN only where the CPU has NaN
    const at::Tensor got = accg.cpu();
    const bool equal = at::equal(got.isnan(), acc.isnan()) &&
                       at::equal(got.masked_fill(got.isnan(), 0).view(at::kInt),
                                 acc.masked_fill(acc.isnan(), 0).view(at::kInt));
    return Results{{"fold_amax", x.numel(), equal, describe(x)}};
  });
}

}  // namespace
}  // namespace qcfg::tensor_ops
