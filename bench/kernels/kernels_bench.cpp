// GPU benchmark of the qcfg CUDA kernels on bf16 8192^2 and 16384^2 tensors (and, with
// --extended, fp16 / fp32, 3-D expert weights and a last dim that is no multiple of 128). For each
// op: ms, GB/s of bytes moved, that rate as a fraction of a device-to-device copy measured in the
// same run, and the time of a plain-PyTorch implementation of the same op (torch_baselines.h), also
// in the same run. Usage: bench_kernels [--sizes 8192,16384] [--shape 8x2048x5120]... [--extended]
// [--iters N] [--json FILE] [--variant 3|4|5] (--json: the figures for
// bench/kernels/modelopt_column.py; --variant: the launch-layout generation, kernels.h
// kernel_variant, so that one GPU session times v3, v4 and v5 of the same build).
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
  std::string id;  // stable key (JSON, bench/kernels/modelopt_column.py)
  std::string op;
  double bytes;  // moved by the op (read + written)
  std::function<void()> ours, torch;
  bool applies = true;  // the shape meets the kernel's preconditions
};

// One benchmarked tensor: shape (2-D, or 3-D expert weights [E, rows, cols]) and dtype. The
// kernels see it as [prod(leading dims), last dim].
struct Case {
  std::vector<int64_t> shape;
  at::ScalarType dtype = at::kBFloat16;
  std::string name() const {
    std::string s = dtype == at::kBFloat16 ? "bf16" : (dtype == at::kHalf ? "fp16" : "fp32");
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? "x" : " ") + std::to_string(shape[i]);
    return s;
  }
};

struct Result {
  std::string id, op;
  double ms = 0, gbs = 0, x_copy = 0, torch_ms = 0;
};

cuda::DType dtype_tag(at::ScalarType t) {
  return t == at::kBFloat16 ? cuda::DType::bf16
                            : (t == at::kHalf ? cuda::DType::f16 : cuda::DType::f32);
}

// Per-block amax of [rows, cols] over blocks of `block` along cols (partial last block padded with
// zeros): rows * ceil(cols / block) fp32.
at::Tensor block_amax(const at::Tensor& x2d, int64_t block) {
  const int64_t cols = x2d.size(1), pad = (block - cols % block) % block;
  const at::Tensor padded = at::constant_pad_nd(x2d.to(at::kFloat).abs(), {0, pad});
  return padded.reshape({x2d.size(0), -1, block}).amax(-1).contiguous();
}

std::vector<Result> run_case(const Case& c, const Timer& time) {
  const auto opts = at::TensorOptions().device(at::kCUDA).dtype(c.dtype);
  const at::Tensor x = at::randn(c.shape, opts);
  at::Tensor y = at::empty_like(x);
  const int64_t cols = c.shape.back(), numel = x.numel(), rows = numel / cols;
  const int64_t dim0 = c.shape.front(), inner0 = numel / dim0;  // axis 0: stride and size
  const at::Tensor x2d = x.reshape({rows, cols});
  const double elem = static_cast<double>(x.element_size()), n = static_cast<double>(numel);
  const float global = x.abs().max().item<float>();
  const at::Tensor g = at::full({1}, global, opts.dtype(at::kFloat));
  // Axis-0 amax (ModelOpt axis=0: one entry per index of the first dim).
  const at::Tensor axis0_amax = x.reshape({dim0, -1}).abs().amax(1).to(at::kFloat).contiguous();
  const at::Tensor block128_amax = block_amax(x2d, 128);
  const at::Tensor fp8_scales = (axis0_amax / 448.0f).contiguous();
  const at::Tensor int8_scales = (axis0_amax / 127.0f).contiguous();
  const at::Tensor int4_scales = (block128_amax / 7.0f).contiguous();
  const bool cols16 = cols % 16 == 0, rows_even = rows % 2 == 0;
  at::Tensor amax16 = at::empty({rows * ((cols + 15) / 16)}, opts.dtype(at::kFloat));
  at::Tensor codes = at::empty({numel / 2 + 8}, opts.dtype(at::kByte));
  at::Tensor codes8 = at::empty({numel}, opts.dtype(at::kByte));
  at::Tensor scales = at::empty({numel / 16 + 1}, opts.dtype(at::kByte));
  const at::Tensor h16 = hadamard_matrix(16, opts), h128 = hadamard_matrix(128, opts);
  cudaStream_t s = c10::cuda::getCurrentCUDAStream().stream();
  const auto dt = dtype_tag(c.dtype);
  const void* xp = x.data_ptr();
  void* yp = y.data_ptr();
  const double rw = 2 * n * elem;
  const auto per_axis0 = cuda::AmaxIndexing::per_axis(inner0, dim0);
  const auto fake_mx = [&](cuda::MxElement e, const char* what) {
    return [&, e, what] { check(cuda::mx_fake_quant(xp, yp, rows, cols, dt, e, 32, s), what); };
  };

  std::vector<Row> table = {
      {"copy", "copy", rw, [&] { y.copy_(x); }, [&] { y.copy_(x); }},
      {"fp8_tensor", "fp8 fake quant (per tensor)", rw,
       [&] {
         check(cuda::fp8_fake_quant(xp, yp, numel, dt, g.data_ptr<float>(),
                                    cuda::AmaxIndexing::per_tensor(), s),
               "fp8");
       },
       [&] { (void)torch_fp8(x, global); }},
      {"fp8_channel", "fp8 fake quant (per channel)", rw,
       [&] {
         check(cuda::fp8_fake_quant(xp, yp, numel, dt, axis0_amax.data_ptr<float>(), per_axis0, s),
               "fp8 channel");
       },
       [&] { (void)torch_fp8(x, global); }},
      {"int8_channel", "int8 fake quant (per channel)", rw,
       [&] {
         check(cuda::int_fake_quant(xp, yp, numel, dt, axis0_amax.data_ptr<float>(), per_axis0,
                                    {8, false, false}, s),
               "int8");
       },
       [&] { (void)torch_int_per_row(x, inner0, 127); }},
      {"int4_block128", "int4 fake quant (block 128)", rw,
       [&] {
         check(cuda::int_fake_quant(xp, yp, numel, dt, block128_amax.data_ptr<float>(),
                                    cuda::AmaxIndexing::per_block(cols, 128), {4, false, false}, s),
               "int4");
       },
       [&] { (void)torch_int_per_row(x, 128, 7); }, numel % 128 == 0},
      {"nvfp4", "nvfp4 fake quant", rw,
       [&] {
         check(cuda::nvfp4_fake_quant(xp, yp, rows, cols, dt, g.data_ptr<float>(), s), "nvfp4");
       },
       [&] { (void)torch_nvfp4(x, global); }, cols16},
      {"mxfp4", "mxfp4 fake quant", rw, fake_mx(cuda::MxElement::e2m1, "mxfp4"),
       [&] { (void)torch_mxfp4(x); }, cols % 32 == 0},
      {"mxfp6", "mxfp6 (e3m2) fake quant", rw, fake_mx(cuda::MxElement::e3m2, "mxfp6"),
       [&] { (void)torch_mxfp4(x); }, cols % 32 == 0},
      {"mxfp8", "mxfp8 fake quant", rw, fake_mx(cuda::MxElement::e4m3, "mxfp8"),
       [&] { (void)torch_mxfp8(x); }, cols % 32 == 0},
      {"mxint8", "mxint8 fake quant", rw, fake_mx(cuda::MxElement::int8, "mxint8"),
       [&] { (void)torch_mxfp8(x); }, cols % 32 == 0},
      {"hadamard16", "hadamard block 16", rw,
       [&] { check(cuda::hadamard(xp, yp, rows, cols, dt, 16, s), "h16"); },
       [&] { (void)torch_hadamard(x, h16); }, cols16},
      {"hadamard128", "hadamard block 128", rw,
       [&] { check(cuda::hadamard(xp, yp, rows, cols, dt, 128, s), "h128"); },
       [&] { (void)torch_hadamard(x, h128); }, cols % 128 == 0},
      {"fused16", "rotate16->nvfp4->rotate back", rw,
       [&] {
         check(cuda::rotate_nvfp4_rotate_back(xp, yp, rows, cols, dt, 16, g.data_ptr<float>(), s),
               "fused16");
       },
       [&] { (void)torch_rotate_nvfp4_rotate_back(x, h16, global); }, cols16},
      {"fused128", "rotate128->nvfp4->rotate back", rw,
       [&] {
         check(cuda::rotate_nvfp4_rotate_back(xp, yp, rows, cols, dt, 128, g.data_ptr<float>(), s),
               "fused128");
       },
       [&] { (void)torch_rotate_nvfp4_rotate_back(x, h128, global); }, cols % 128 == 0},
      {"amax16", "amax per 16-block", n * elem + n / 16 * 4,
       [&] {
         check(cuda::amax_per_block16(xp, rows, cols, dt, amax16.data_ptr<float>(), s), "amax16");
       },
       [&] { (void)torch_amax_block16(x); }, cols16},
      {"pack_nvfp4", "nvfp4 packing", n * elem + n / 2 + n / 16,
       [&] {
         check(cuda::pack_nvfp4(xp, codes.data_ptr<uint8_t>(), scales.data_ptr<uint8_t>(), rows,
                                cols, dt, g.data_ptr<float>(), s),
               "pack nvfp4");
       },
       [&] { (void)torch_pack_nvfp4(x, global); }, cols16},
      {"pack_fp8", "fp8 packing (per channel)", n * elem + n,
       [&] {
         check(cuda::pack_fp8(xp, codes8.data_ptr<uint8_t>(), numel, dt,
                              fp8_scales.data_ptr<float>(), per_axis0, s),
               "pack fp8");
       },
       [&] {
         (void)(x.reshape({dim0, -1}) / fp8_scales.unsqueeze(1)).to(at::kFloat8_e4m3fn);
       }},
      {"pack_int4", "int4 packing (block 128)", n * elem + n / 2,
       [&] {
         check(cuda::pack_int4(xp, codes.data_ptr<uint8_t>(), rows, cols, dt,
                               int4_scales.data_ptr<float>(), 128, s),
               "pack int4");
       },
       [&] { (void)torch_int_per_row(x, 128, 7).to(at::kChar); }, rows_even && numel % 128 == 0},
  };
  const double copy_ms = time(table[0].ours);
  const double copy_gbs = rw / copy_ms / 1e6;
  std::printf("\n%s: copy %.3f ms = %.0f GB/s (read+write)\n", c.name().c_str(), copy_ms, copy_gbs);
  std::printf("%-32s %9s %9s %8s %10s %9s\n", "op", "ms", "GB/s", "x copy", "torch ms", "speedup");
  std::vector<Result> results = {{"copy", "copy", copy_ms, copy_gbs, 1.0, copy_ms}};
  for (size_t i = 1; i < table.size(); ++i) {
    if (!table[i].applies) continue;
    const double ms = time(table[i].ours), torch_ms = time(table[i].torch);
    const double gbs = table[i].bytes / ms / 1e6;
    std::printf("%-32s %9.3f %9.0f %8.2f %10.3f %8.1fx\n", table[i].op.c_str(), ms, gbs,
                gbs / copy_gbs, torch_ms, torch_ms / ms);
    results.push_back({table[i].id, table[i].op, ms, gbs, gbs / copy_gbs, torch_ms});
  }
  return results;
}

// The figures as JSON for bench/kernels/modelopt_column.py (same cases, ModelOpt's column).
void write_json(const char* path, const std::string& device,
                const std::vector<std::pair<Case, std::vector<Result>>>& all) {
  FILE* f = std::fopen(path, "w");
  if (f == nullptr) {
    std::fprintf(stderr, "bench_kernels: cannot write %s\n", path);
    std::exit(2);
  }
  std::fprintf(f, "{\"device\": \"%s\", \"cases\": [", device.c_str());
  for (size_t k = 0; k < all.size(); ++k) {
    const Case& c = all[k].first;
    std::fprintf(f, "%s\n {\"name\": \"%s\", \"dtype\": \"%s\", \"shape\": [", k ? "," : "",
                 c.name().c_str(), c.name().substr(0, 4).c_str());
    for (size_t i = 0; i < c.shape.size(); ++i)
      std::fprintf(f, "%s%lld", i ? ", " : "", static_cast<long long>(c.shape[i]));
    std::fprintf(f, "], \"rows\": [");
    for (size_t i = 0; i < all[k].second.size(); ++i) {
      const Result& r = all[k].second[i];
      std::fprintf(f,
                   "%s\n  {\"id\": \"%s\", \"op\": \"%s\", \"ms\": %.6f, \"gbs\": %.1f, "
                   "\"x_copy\": %.4f, \"torch_ms\": %.6f}",
                   i ? "," : "", r.id.c_str(), r.op.c_str(), r.ms, r.gbs, r.x_copy, r.torch_ms);
    }
    std::fprintf(f, "]}");
  }
  std::fprintf(f, "\n]}\n");
  std::fclose(f);
}

std::vector<int64_t> parse_list(char* arg, char sep) {
  std::vector<int64_t> out;
  const char seps[2] = {sep, '\0'};
  for (char* tok = std::strtok(arg, seps); tok; tok = std::strtok(nullptr, seps))
    out.push_back(std::atoll(tok));
  return out;
}

}  // namespace
}  // namespace qcfg::bench

int main(int argc, char** argv) {
  using qcfg::bench::Case;
  std::vector<Case> cases;
  const char* json = nullptr;
  bool extended = false;
  qcfg::bench::Timer timer;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--extended") == 0) {
      extended = true;
    } else if (has_value && std::strcmp(argv[i], "--iters") == 0) {
      timer.iters = std::atoi(argv[++i]);
    } else if (has_value && std::strcmp(argv[i], "--json") == 0) {
      json = argv[++i];
    } else if (has_value && std::strcmp(argv[i], "--variant") == 0) {
      if (!qcfg::cuda::set_kernel_variant(std::atoi(argv[++i]))) {
        std::fprintf(stderr, "bench_kernels: --variant takes 3, 4 or 5, not %s\n", argv[i]);
        return 2;
      }
    } else if (has_value && std::strcmp(argv[i], "--sizes") == 0) {
      for (const int64_t n : qcfg::bench::parse_list(argv[++i], ',')) cases.push_back({{n, n}});
    } else if (has_value && std::strcmp(argv[i], "--shape") == 0) {  // e.g. 8x2048x5120
      cases.push_back({qcfg::bench::parse_list(argv[++i], 'x')});
    } else {
      std::fprintf(
          stderr,
          "usage: bench_kernels [--sizes 8192,16384] [--shape AxB[xC]]... [--extended] "
          "[--iters N] [--json FILE] [--variant 3|4|5]\n  unknown or incomplete argument: %s\n",
          argv[i]);
      return 2;
    }
  }
  if (cases.empty()) cases = {{{8192, 8192}}, {{16384, 16384}}};
  if (extended) {  // the secondary shapes: fp16 / fp32, 3-D experts, cols % 128 != 0
    cases.push_back({{8192, 8192}, at::kHalf});
    cases.push_back({{8192, 8192}, at::kFloat});
    cases.push_back({{8, 2048, 5120}});
    cases.push_back({{8192, 8000}});
  }
  int devices = 0;
  if (cudaGetDeviceCount(&devices) != cudaSuccess || devices == 0) {
    std::printf("bench_kernels: no CUDA device\n");
    return 0;
  }
  cudaDeviceProp prop{};
  cudaGetDeviceProperties(&prop, 0);
  std::printf("device: %s\nkernel layouts: v%d\n", prop.name, qcfg::cuda::kernel_variant());
  std::vector<std::pair<Case, std::vector<qcfg::bench::Result>>> all;
  for (const Case& c : cases) all.emplace_back(c, qcfg::bench::run_case(c, timer));
  if (json != nullptr) qcfg::bench::write_json(json, prop.name, all);
  return 0;
}
