// CUDA kernels vs CPU reference, bit for bit, on randomized inputs (odd sizes, zeros, tiny/huge,
// NaN/inf) in fp32/fp16/bf16. Without a CUDA device it prints "skipped: no CUDA device" and exits
// 0.
#define DOCTEST_CONFIG_IMPLEMENT
#include <cuda_runtime.h>
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "kernels/cpu/numerics.h"
#include "kernels/cuda/kernels.h"
#include "tests/kernels/test_util.h"

namespace qcfg {
namespace {

using cuda::DType;
using numerics::BFloat16;
using numerics::Half;

template <class T>
DType dtype_of() {
  if constexpr (std::is_same_v<T, float>) return DType::f32;
  if constexpr (std::is_same_v<T, Half>) return DType::f16;
  return DType::bf16;
}

#define CUDA_OK(expr) REQUIRE_EQ(cudaSuccess, (expr))

template <class T>
struct DeviceBuffer {
  T* ptr = nullptr;
  size_t n = 0;
  explicit DeviceBuffer(size_t count) : n(count) {
    CUDA_OK(cudaMalloc(&ptr, std::max<size_t>(count, 1) * sizeof(T)));
  }
  explicit DeviceBuffer(const std::vector<T>& h) : DeviceBuffer(h.size()) {
    CUDA_OK(cudaMemcpy(ptr, h.data(), n * sizeof(T), cudaMemcpyHostToDevice));
  }
  ~DeviceBuffer() { cudaFree(ptr); }
  std::vector<T> download() const {
    std::vector<T> h(n);
    REQUIRE_EQ(cudaSuccess, cudaDeviceSynchronize());
    REQUIRE_EQ(cudaSuccess, cudaMemcpy(h.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost));
    return h;
  }
};

// Mixed magnitudes with zeros, tiny, huge and (optionally) NaN / inf.
std::vector<float> random_input(std::mt19937& rng, size_t n, bool specials,
                                bool non_negative = false) {
  std::uniform_real_distribution<float> expo(-8, 4);
  std::uniform_int_distribution<int> pick(0, 99);
  std::vector<float> v(n);
  for (auto& x : v) {
    const int p = pick(rng);
    if (p < 5)
      x = 0.0f;
    else if (p < 7)
      x = 1e-40f;
    else if (p < 8 && specials)
      x = 1e30f;
    else if (p < 9 && specials)
      x = NAN;
    else if (p < 10 && specials)
      x = INFINITY;
    else
      x = std::pow(10.0f, expo(rng));
    if (!non_negative && pick(rng) < 50) x = -x;
  }
  return v;
}

template <class T>
std::vector<T> to_storage(const std::vector<float>& v) {
  std::vector<T> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = numerics::from_float<T>(v[i]);
  return out;
}

template <class T>
std::vector<float> widen(const std::vector<T>& v) {
  std::vector<float> out(v.size());
  for (size_t i = 0; i < v.size(); ++i) out[i] = numerics::to_float(v[i]);
  return out;
}

// CPU reference on storage T: widen, fp32 op, round once.
template <class T, class Op>
std::vector<float> cpu_ref(const std::vector<T>& x, Op op) {
  std::vector<float> w = widen(x), y(w.size());
  op(w, y);
  return widen(to_storage<T>(y));
}

// {37, 2048}: several v4 tiles (1024 vectors each) and a partial last one, a tile crossing rows;
// {3, 16400}: rows that are no multiple of 32 elements (MX 32 takes the general path).
const int64_t kShapes[][2] = {{1, 16},   {3, 48},   {7, 160},   {5, 33},
                              {64, 256}, {2, 1000}, {37, 2048}, {3, 16400}};

// Runs body once per launch-layout generation (kernels.h: kernel_variant), v3, v4 and v5, which
// must give the same bits.
template <class Body>
void for_each_variant(Body body) {
  for (int variant : {3, 4, 5}) {
    CAPTURE(variant);
    REQUIRE(cuda::set_kernel_variant(variant));
    body();
  }
  REQUIRE(cuda::set_kernel_variant(5));
}

template <class T>
void run_elementwise() {
  std::mt19937 rng(11);
  for (const auto& s : kShapes) {
    const int64_t rows = s[0], cols = s[1], n = rows * cols;
    const auto x = to_storage<T>(random_input(rng, n, true));
    const auto amax_rows = numerics::max_amax(widen(to_storage<T>(random_input(rng, n, false))),
                                              {rows, cols}, numerics::PerAxis{0});
    DeviceBuffer<T> dx(x), dy(n);
    DeviceBuffer<float> damax(amax_rows);
    const auto axis = cuda::AmaxIndexing::per_axis(cols, rows);
    CUDA_OK(cuda::fp8_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), damax.ptr, axis, nullptr));
    numerics::test::check_bits(
        widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
          numerics::fp8_fake_quant(in, out, {rows, cols}, numerics::PerAxis{0}, amax_rows);
        }));
    for (int bits : {8, 4, 3}) {
      cuda::IntQuantParams p;
      p.num_bits = bits;
      CUDA_OK(cuda::int_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), damax.ptr, axis, p, nullptr));
      numerics::test::check_bits(widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
                                   numerics::int_fake_quant(in, out, {rows, cols}, {bits},
                                                            numerics::PerAxis{0}, amax_rows);
                                 }));
    }
    // Per tensor (the v4 tile kernel's per-thread parameters), FP8 and INT8.
    const std::vector<float> amax_tensor{amax_rows[0]};
    DeviceBuffer<float> dat(amax_tensor);
    const auto tensor = cuda::AmaxIndexing::per_tensor();
    CUDA_OK(cuda::fp8_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), dat.ptr, tensor, nullptr));
    numerics::test::check_bits(
        widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
          numerics::fp8_fake_quant(in, out, {rows, cols}, numerics::PerTensor{}, amax_tensor);
        }));
    CUDA_OK(cuda::int_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), dat.ptr, tensor, {}, nullptr));
    numerics::test::check_bits(
        widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
          numerics::int_fake_quant(in, out, {rows, cols}, {8}, numerics::PerTensor{}, amax_tensor);
        }));
    // INT4 blocks of 128 (the benchmark's case; blocks narrower than a v4 tile's stride).
    const auto amax_b128 = numerics::max_amax(widen(to_storage<T>(random_input(rng, n, false))),
                                              {rows, cols}, numerics::PerBlock{128});
    DeviceBuffer<float> db128(amax_b128);
    cuda::IntQuantParams p4b;
    p4b.num_bits = 4;
    CUDA_OK(cuda::int_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), db128.ptr,
                                 cuda::AmaxIndexing::per_block(cols, 128), p4b, nullptr));
    numerics::test::check_bits(
        widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
          numerics::int_fake_quant(in, out, {rows, cols}, {4}, numerics::PerBlock{128}, amax_b128);
        }));
    // INT4 blocks of 16 along cols (partial last block).
    const auto amax_blocks = numerics::max_amax(widen(to_storage<T>(random_input(rng, n, false))),
                                                {rows, cols}, numerics::PerBlock{16});
    DeviceBuffer<float> dblk(amax_blocks);
    cuda::IntQuantParams p4;
    p4.num_bits = 4;
    CUDA_OK(cuda::int_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), dblk.ptr,
                                 cuda::AmaxIndexing::per_block(cols, 16), p4, nullptr));
    numerics::test::check_bits(
        widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
          numerics::int_fake_quant(in, out, {rows, cols}, {4}, numerics::PerBlock{16}, amax_blocks);
        }));
  }
}

// v5's segment layout (segment_quant.cu) on a tensor large enough for strips of several steps per
// warp (more than 8448 warps' worth of segments), with rows of 19 1024-element segments, so that
// strips cross rows and a thread's cached parameters must change inside its strip: INT8 and FP8
// per channel, INT4 blocks of 128 signed (min / max clamp) and unsigned (compare-and-select).
// check_bits with one assertion per call (10^7 elements: doctest's per-element CHECK would cost
// seconds); the first mismatch is reported.
void check_bits_bulk(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  size_t bad = 0, first = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    if (!numerics::test::same_bits(got[i], want[i]) && bad++ == 0) first = i;
  }
  INFO("mismatches: ", bad, "; first at ", first, ": got ", numerics::test::describe(got[first]),
       ", want ", numerics::test::describe(want[first]));
  CHECK(bad == 0);
}

// Inputs and CPU references once; the kernels under every launch-layout generation.
template <class T>
void run_segments() {
  std::mt19937 rng(14);
  const int64_t rows = 520, cols = 19456, n = rows * cols;
  const auto x = to_storage<T>(random_input(rng, n, true));
  // Unsigned formats reject negative inputs (the CPU reference throws): non-negative ones there.
  const auto x_pos = to_storage<T>(random_input(rng, n, true, true));
  const auto amax_rows = numerics::max_amax(widen(to_storage<T>(random_input(rng, n, false))),
                                            {rows, cols}, numerics::PerAxis{0});
  const auto amax_b128 = numerics::max_amax(widen(to_storage<T>(random_input(rng, n, false))),
                                            {rows, cols}, numerics::PerBlock{128});
  const auto want_int8 = cpu_ref(x, [&](auto& in, auto& out) {
    numerics::int_fake_quant(in, out, {rows, cols}, {8}, numerics::PerAxis{0}, amax_rows);
  });
  const auto want_fp8 = cpu_ref(x, [&](auto& in, auto& out) {
    numerics::fp8_fake_quant(in, out, {rows, cols}, numerics::PerAxis{0}, amax_rows);
  });
  const auto want_int4 = cpu_ref(x, [&](auto& in, auto& out) {
    numerics::int_fake_quant(in, out, {rows, cols}, {4}, numerics::PerBlock{128}, amax_b128);
  });
  const auto want_uint4 = cpu_ref(x_pos, [&](auto& in, auto& out) {
    numerics::int_fake_quant(in, out, {rows, cols}, {4, true}, numerics::PerBlock{128}, amax_b128);
  });
  DeviceBuffer<T> dx(x), dx_pos(x_pos), dy(n);
  DeviceBuffer<float> damax(amax_rows), db128(amax_b128);
  const auto axis = cuda::AmaxIndexing::per_axis(cols, rows);
  const auto blocks = cuda::AmaxIndexing::per_block(cols, 128);
  for_each_variant([&] {
    CUDA_OK(cuda::int_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), damax.ptr, axis, {}, nullptr));
    check_bits_bulk(widen(dy.download()), want_int8);
    CUDA_OK(cuda::fp8_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), damax.ptr, axis, nullptr));
    check_bits_bulk(widen(dy.download()), want_fp8);
    cuda::IntQuantParams p4;
    p4.num_bits = 4;
    CUDA_OK(cuda::int_fake_quant(dx.ptr, dy.ptr, n, dtype_of<T>(), db128.ptr, blocks, p4, nullptr));
    check_bits_bulk(widen(dy.download()), want_int4);
    p4.is_unsigned = true;
    CUDA_OK(
        cuda::int_fake_quant(dx_pos.ptr, dy.ptr, n, dtype_of<T>(), db128.ptr, blocks, p4, nullptr));
    check_bits_bulk(widen(dy.download()), want_uint4);
  });
}

template <class T>
void run_blocks() {
  std::mt19937 rng(12);
  for (const auto& s : kShapes) {
    const int64_t rows = s[0], cols = s[1], n = rows * cols;
    const auto x = to_storage<T>(random_input(rng, n, true));
    DeviceBuffer<T> dx(x), dy(n);
    for (float g : {0.0f, 1.0f, 448.0f * 6.0f, 3e5f}) {
      DeviceBuffer<float> dg(std::vector<float>{g});
      CUDA_OK(cuda::nvfp4_fake_quant(dx.ptr, dy.ptr, rows, cols, dtype_of<T>(), dg.ptr, nullptr));
      numerics::test::check_bits(widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
                                   numerics::nvfp4_dynamic_fake_quant(in, out, {rows, cols}, g);
                                 }));
    }
    for (auto e :
         {numerics::MxElement::e2m1, numerics::MxElement::e3m2, numerics::MxElement::e2m3,
          numerics::MxElement::e1m2, numerics::MxElement::e0m3, numerics::MxElement::e3m0,
          numerics::MxElement::e4m3, numerics::MxElement::e5m2, numerics::MxElement::int8}) {
      for (int block : {8, 16, 32}) {
        CUDA_OK(cuda::mx_fake_quant(dx.ptr, dy.ptr, rows, cols, dtype_of<T>(), e, block, nullptr));
        numerics::test::check_bits(widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
                                     numerics::mx_fake_quant(in, out, {rows, cols}, e, block);
                                   }));
      }
    }
    // amax reductions (finite inputs; NaN propagation checked separately below).
    const auto xf = to_storage<T>(random_input(rng, n, false));
    DeviceBuffer<T> dxf(xf);
    DeviceBuffer<float> dam(1), dblk(rows * ((cols + 15) / 16));
    CUDA_OK(cuda::amax_per_tensor(dxf.ptr, n, dtype_of<T>(), dam.ptr, nullptr));
    numerics::test::check_bits(dam.download(),
                               numerics::max_amax(widen(xf), {rows, cols}, numerics::PerTensor{}));
    CUDA_OK(cuda::amax_per_block16(dxf.ptr, rows, cols, dtype_of<T>(), dblk.ptr, nullptr));
    numerics::test::check_bits(dblk.download(),
                               numerics::max_amax(widen(xf), {rows, cols}, numerics::PerBlock{16}));
    CUDA_OK(cuda::amax_per_tensor(dx.ptr, n, dtype_of<T>(), dam.ptr, nullptr));
    const float a = dam.download()[0];
    bool has_nan = false;
    for (float v : widen(x)) has_nan |= std::isnan(v);
    CHECK(std::isnan(a) == has_nan);
  }
}

template <class T>
void run_hadamard() {
  std::mt19937 rng(13);
  for (int log2n = 1; log2n <= 15; ++log2n) {
    const int64_t n = int64_t{1} << log2n;
    const int64_t rows = log2n <= 10 ? 5 : 2, cols = (log2n <= 8 ? 3 : 1) * n;
    const auto x = to_storage<T>(random_input(rng, rows * cols, false));
    DeviceBuffer<T> dx(x), dy(rows * cols);
    CUDA_OK(cuda::hadamard(dx.ptr, dy.ptr, rows, cols, dtype_of<T>(), n, nullptr));
    CAPTURE(n);
    numerics::test::check_bits(widen(dy.download()), cpu_ref(x, [&](auto& in, auto& out) {
                                 numerics::hadamard_transform(std::span<const float>(in),
                                                              std::span<float>(out), {rows, cols},
                                                              n);
                               }));
  }
  for (int64_t n : {16, 32, 64, 128}) {
    const int64_t rows = 9, cols = 2 * n;
    const auto x = to_storage<T>(random_input(rng, rows * cols, false));
    for (float g : {1.0f, 50.0f}) {
      DeviceBuffer<T> dx(x), dy(rows * cols);
      DeviceBuffer<float> dg(std::vector<float>{g});
      CUDA_OK(cuda::rotate_nvfp4_rotate_back(dx.ptr, dy.ptr, rows, cols, dtype_of<T>(), n, dg.ptr,
                                             nullptr));
      std::vector<T> want(x.size());
      numerics::rotate_fake_quant<T>(numerics::Nvfp4DynamicQuant{g},
                                     {numerics::RotateMode::rotate_back, n}, x, want, {rows, cols});
      CAPTURE(n);
      numerics::test::check_bits(widen(dy.download()), widen(want));
    }
  }
}

TEST_CASE_TEMPLATE("CUDA INT / FP8 fake quant == CPU", T, float, Half, BFloat16) {
  for_each_variant([] { run_elementwise<T>(); });
}
TEST_CASE_TEMPLATE("CUDA INT / FP8 fake quant, long strips == CPU", T, float, Half, BFloat16) {
  run_segments<T>();
}
TEST_CASE_TEMPLATE("CUDA NVFP4 / MX / amax == CPU", T, float, Half, BFloat16) {
  for_each_variant([] { run_blocks<T>(); });
}
TEST_CASE_TEMPLATE("CUDA Hadamard and fused rotate == CPU", T, float, Half, BFloat16) {
  run_hadamard<T>();
}

}  // namespace
}  // namespace qcfg

int main(int argc, char** argv) {
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("skipped: no CUDA device\n");
    return 77;  // meson's "skipped" exit status
  }
  doctest::Context context(argc, argv);
  return context.run();
}
