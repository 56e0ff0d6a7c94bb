// GPU benchmark of the qcfg CUDA kernels on bf16 8192^2 and 16384^2 tensors. For each op: ms,
// GB/s of bytes moved, that rate as a fraction of a device-to-device copy measured in the same run,
// and the time of a plain-PyTorch implementation of the same op (torch_baselines.h), also in the
// same run. Usage: bench_kernels [--sizes 8192,16384] [--iters N]
#include <ATen/ATen.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "bench/kernels/torch_baselines.h"
#include "kernels/cuda/kernels.h"

namespace qcfg::bench {
namespace {

struct Timer {
  int iters = 20;
  // Median over 5 repetitions of the mean time of `iters` launches, in ms.
  double operator()(const std::function<void()>& op) const {
    cudaStream_t stream = c10::cuda::getCurrentCUDAStream().stream();
    cudaEvent_t start, stop;
    cudaEventCreate(&start);
    cudaEventCreate(&stop);
    for (int i = 0; i < 3; ++i) op();
    std::vector<double> reps;
    for (int r = 0; r < 5; ++r) {
      cudaEventRecord(start, stream);
      for (int i = 0; i < iters; ++i) op();
      cudaEventRecord(stop, stream);
      cudaEventSynchronize(stop);
      float ms = 0;
      cudaEventElapsedTime(&ms, start, stop);
      reps.push_back(ms / iters);
    }
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    std::sort(reps.begin(), reps.end());
    return reps[reps.size() / 2];
  }
};

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess) {
    std::fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(status));
    std::exit(2);
  }
}

struct Row {
  std::string op;
  double bytes;  // moved by the op (read + written)
  std::function<void()> ours, torch;
};

void run_size(int64_t n, const Timer& time) {
  const auto opts = at::TensorOptions().device(at::kCUDA).dtype(at::kBFloat16);
  const at::Tensor x = at::randn({n, n}, opts);
  at::Tensor y = at::empty_like(x);
  const double numel = static_cast<double>(n) * n, elem = 2.0;
  const float global = x.abs().max().item<float>();
  const at::Tensor g = at::full({1}, global, opts.dtype(at::kFloat));
  const at::Tensor row_amax = x.abs().amax(1).to(at::kFloat).contiguous();
  const at::Tensor block128_amax = x.reshape({-1, 128}).abs().amax(1).to(at::kFloat).contiguous();
  at::Tensor amax16 = at::empty({n * n / 16}, opts.dtype(at::kFloat));
  at::Tensor codes = at::empty({n, n / 2}, opts.dtype(at::kByte));
  at::Tensor scales = at::empty({n, n / 16}, opts.dtype(at::kByte));
  const at::Tensor h16 = hadamard_matrix(16, opts), h128 = hadamard_matrix(128, opts);
  cudaStream_t s = c10::cuda::getCurrentCUDAStream().stream();
  const auto bf16 = cuda::DType::bf16;
  const void* xp = x.data_ptr();
  void* yp = y.data_ptr();
  const double rw = 2 * numel * elem;

  std::vector<Row> rows = {
      {"copy", rw, [&] { y.copy_(x); }, [&] { y.copy_(x); }},
      {"fp8 fake quant (per tensor)", rw,
       [&] { check(cuda::fp8_fake_quant(xp, yp, n * n, bf16, g.data_ptr<float>(), cuda::AmaxIndexing::per_tensor(), s), "fp8"); },
       [&] { (void)torch_fp8(x, global); }},
      {"int8 fake quant (per channel)", rw,
       [&] { check(cuda::int_fake_quant(xp, yp, n * n, bf16, row_amax.data_ptr<float>(), cuda::AmaxIndexing::per_axis(n, n), {8, false, false}, s), "int8"); },
       [&] { (void)torch_int_per_row(x, n, 127); }},
      {"int4 fake quant (block 128)", rw,
       [&] { check(cuda::int_fake_quant(xp, yp, n * n, bf16, block128_amax.data_ptr<float>(), cuda::AmaxIndexing::per_block(n, 128), {4, false, false}, s), "int4"); },
       [&] { (void)torch_int_per_row(x, 128, 7); }},
      {"nvfp4 fake quant", rw,
       [&] { check(cuda::nvfp4_fake_quant(xp, yp, n, n, bf16, g.data_ptr<float>(), s), "nvfp4"); },
       [&] { (void)torch_nvfp4(x, global); }},
      {"mxfp4 fake quant", rw,
       [&] { check(cuda::mx_fake_quant(xp, yp, n, n, bf16, cuda::MxElement::e2m1, 32, s), "mxfp4"); },
       [&] { (void)torch_mxfp4(x); }},
      {"mxfp8 fake quant", rw,
       [&] { check(cuda::mx_fake_quant(xp, yp, n, n, bf16, cuda::MxElement::e4m3, 32, s), "mxfp8"); },
       [&] { (void)torch_mxfp8(x); }},
      {"hadamard block 16", rw,
       [&] { check(cuda::hadamard(xp, yp, n, n, bf16, 16, s), "h16"); },
       [&] { (void)torch_hadamard(x, h16); }},
      {"hadamard block 128", rw,
       [&] { check(cuda::hadamard(xp, yp, n, n, bf16, 128, s), "h128"); },
       [&] { (void)torch_hadamard(x, h128); }},
      {"rotate16->nvfp4->rotate back", rw,
       [&] { check(cuda::rotate_nvfp4_rotate_back(xp, yp, n, n, bf16, 16, g.data_ptr<float>(), s), "fused16"); },
       [&] { (void)torch_rotate_nvfp4_rotate_back(x, h16, global); }},
      {"rotate128->nvfp4->rotate back", rw,
       [&] { check(cuda::rotate_nvfp4_rotate_back(xp, yp, n, n, bf16, 128, g.data_ptr<float>(), s), "fused128"); },
       [&] { (void)torch_rotate_nvfp4_rotate_back(x, h128, global); }},
      {"amax per 16-block", numel * elem + numel / 16 * 4,
       [&] { check(cuda::amax_per_block16(xp, n, n, bf16, amax16.data_ptr<float>(), s), "amax16"); },
       [&] { (void)torch_amax_block16(x); }},
      {"nvfp4 packing", numel * elem + numel / 2 + numel / 16,
       [&] { check(cuda::pack_nvfp4(xp, codes.data_ptr<uint8_t>(), scales.data_ptr<uint8_t>(), n, n, bf16, g.data_ptr<float>(), s), "pack"); },
       [&] { (void)torch_pack_nvfp4(x, global); }},
  };
  const double copy_ms = time(rows[0].ours);
  const double copy_gbs = rw / copy_ms / 1e6;
  std::printf("\nbf16 %lldx%lld: copy %.3f ms = %.0f GB/s (read+write)\n",
              static_cast<long long>(n), static_cast<long long>(n), copy_ms, copy_gbs);
  std::printf("%-32s %9s %9s %8s %10s %9s\n", "op", "ms", "GB/s", "x copy", "torch ms", "speedup");
  for (size_t i = 1; i < rows.size(); ++i) {
    const double ms = time(rows[i].ours), torch_ms = time(rows[i].torch);
    const double gbs = rows[i].bytes / ms / 1e6;
    std::printf("%-32s %9.3f %9.0f %8.2f %10.3f %8.1fx\n", rows[i].op.c_str(), ms, gbs,
                gbs / copy_gbs, torch_ms, torch_ms / ms);
  }
}

}  // namespace
}  // namespace qcfg::bench

int main(int argc, char** argv) {
  std::vector<int64_t> sizes = {8192, 16384};
  qcfg::bench::Timer timer;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iters") == 0) timer.iters = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--sizes") == 0) {
      sizes.clear();
      for (char* tok = std::strtok(argv[i + 1], ","); tok; tok = std::strtok(nullptr, ","))
        sizes.push_back(std::atoll(tok));
    }
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("bench_kernels: no CUDA device\n");
    return 0;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s\n", prop.name);
  for (const int64_t n : sizes) qcfg::bench::run_size(n, timer);
  return 0;
}
