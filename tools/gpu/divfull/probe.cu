// Device probe for PTX div.full.f32, the division Triton's float32 `/` lowers to (and so the one
// in ModelOpt 0.47's NVFP4 kernels). Run on the GPU machine by tools/gpu/divfull/run.sh:
//   1. records MUFU.RCP (rcp.approx.ftz.f32) of every float32 mantissa in [1, 2) as a delta from
//      the correctly rounded reciprocal (2 bits each) and checks it against the table that
//      qcfg links (kernels/cpu/data/mufu_rcp_delta.bin);
//   2. divides random operands of every range on the GPU and compares qcfg's host emulation
//      (kernels/cpu/div_full.cpp), and the IEEE quotient, with it;
//   3. writes test vectors (x, y, GPU quotient as hex bits) for the CPU test in tests/kernels.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "kernels/cpu/div_full.h"

using qcfg::numerics::div_full_emulated;

__global__ void divide(const float* x, const float* y, float* out, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) out[i] = qcfg::numerics::div_full(x[i], y[i]);
}
__global__ void mantissa_delta(int* delta) {
  int m = blockIdx.x * blockDim.x + threadIdx.x;
  if (m >= (1 << 23)) return;
  float y = __uint_as_float(0x3f800000u | m);
  float approx;
  asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(approx) : "f"(y));
  delta[m] = int(__float_as_uint(approx)) - int(__float_as_uint(__frcp_rn(y)));
}

static uint64_t state = 88172645463325252ull;
static uint32_t next_u32() {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return uint32_t(state >> 11);
}
static float from_bits(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static uint32_t to_bits(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
// A random float with a biased exponent in [lo, hi] (0: subnormal) and a random sign.
static float random_float(int lo, int hi) {
  uint32_t e = lo + next_u32() % (hi - lo + 1);
  return from_bits((next_u32() & 0x80000000u) | (e << 23) | (next_u32() & 0x7fffffu));
}

static int check_table(const char* out_dir) {
  const int n = 1 << 23;
  int* d_delta;
  cudaMalloc(&d_delta, n * sizeof(int));
  mantissa_delta<<<n / 256, 256>>>(d_delta);
  std::vector<int> delta(n);
  cudaMemcpy(delta.data(), d_delta, n * sizeof(int), cudaMemcpyDeviceToHost);
  std::vector<uint8_t> packed(n / 4, 0);
  long differs = 0, histogram[3] = {0, 0, 0};
  for (int m = 0; m < n; ++m) {
    if (delta[m] < -1 || delta[m] > 1) { printf("mantissa %d: delta %d\n", m, delta[m]); return 1; }
    histogram[delta[m] + 1]++;
    packed[m / 4] |= uint8_t((delta[m] + 1) << (2 * (m % 4)));
    const float y = from_bits(0x3f800000u | m);
    if (to_bits(qcfg::numerics::mufu_rcp_emulated(y)) != to_bits(1.0f / y) + delta[m]) ++differs;
  }
  printf("MUFU.RCP over 2^23 mantissas: -1 ulp %ld, exact %ld, +1 ulp %ld; linked table differs at %ld\n",
         histogram[0], histogram[1], histogram[2], differs);
  char path[512];
  snprintf(path, sizeof path, "%s/mufu_rcp_delta.bin", out_dir);
  FILE* f = fopen(path, "wb");
  fwrite(packed.data(), 1, packed.size(), f);
  fclose(f);
  return differs == 0 ? 0 : 1;
}

struct Range { const char* name; int xlo, xhi, ylo, yhi; };

int main(int argc, char** argv) {
  const char* out_dir = argc > 1 ? argv[1] : ".";
  int status = check_table(out_dir);
  const Range ranges[] = {
      {"all normal", 1, 254, 1, 254},
      {"NVFP4 scales (exp 100..130)", 100, 130, 100, 130},
      {"|y| >= 2^126", 1, 254, 253, 254},
      {"y subnormal", 0, 254, 0, 0},
      {"x subnormal", 0, 0, 1, 254},
      {"everything", 0, 255, 0, 255},
  };
  const int n = 1 << 22, kept_per_range = 400;
  std::vector<float> hx(n), hy(n), gpu(n);
  float *dx, *dy, *dout;
  cudaMalloc(&dx, n * 4);
  cudaMalloc(&dy, n * 4);
  cudaMalloc(&dout, n * 4);
  char path[512];
  snprintf(path, sizeof path, "%s/div_full_vectors.txt", out_dir);
  FILE* vectors = fopen(path, "w");
  fprintf(vectors, "# x y div.full.f32(x, y) as float32 bits, recorded on the GPU by tools/gpu/divfull/probe.cu\n");
  auto run = [&](int count, const char* name) {
    cudaMemcpy(dx, hx.data(), count * 4, cudaMemcpyHostToDevice);
    cudaMemcpy(dy, hy.data(), count * 4, cudaMemcpyHostToDevice);
    divide<<<(count + 255) / 256, 256>>>(dx, dy, dout, count);
    cudaMemcpy(gpu.data(), dout, count * 4, cudaMemcpyDeviceToHost);
    long emulation_differs = 0, ieee_differs = 0;
    for (int i = 0; i < count; ++i) {
      if (to_bits(div_full_emulated(hx[i], hy[i])) != to_bits(gpu[i])) {
        if (emulation_differs++ < 4) printf("  x=%a y=%a gpu=%a emulated=%a\n", hx[i], hy[i], gpu[i], div_full_emulated(hx[i], hy[i]));
      }
      if (to_bits(hx[i] / hy[i]) != to_bits(gpu[i])) ++ieee_differs;
    }
    printf("%-30s %8d pairs: emulation differs %ld, IEEE x/y differs %ld\n", name, count, emulation_differs, ieee_differs);
    if (emulation_differs) status = 1;
  };
  for (const Range& r : ranges) {
    for (int i = 0; i < n; ++i) {
      hx[i] = random_float(r.xlo, r.xhi);
      hy[i] = random_float(r.ylo, r.yhi);
    }
    run(n, r.name);
    for (int i = 0; i < kept_per_range; ++i)
      fprintf(vectors, "%08x %08x %08x\n", to_bits(hx[i]), to_bits(hy[i]), to_bits(gpu[i]));
  }
  const float specials[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1.0f, -3.0f, 0x1p-149f,
                            0x1p-126f, 0x1.fffffcp-127f, 0x1.fffffep127f, 0x1p126f, 0x1.000002p126f,
                            0x1p-104f, 0x1p104f, 6.0f, 1e-12f, 1e-5f};
  const int ns = sizeof specials / sizeof specials[0];
  int k = 0;
  for (int a = 0; a < ns; ++a)
    for (int b = 0; b < ns; ++b) {
      hx[k] = specials[a];
      hy[k] = specials[b];
      ++k;
    }
  run(k, "special operands");
  for (int i = 0; i < k; ++i)
    fprintf(vectors, "%08x %08x %08x\n", to_bits(hx[i]), to_bits(hy[i]), to_bits(gpu[i]));
  fclose(vectors);
  printf(status == 0 ? "div.full.f32: emulation identical\n" : "div.full.f32: EMULATION DIFFERS\n");
  return status;
}
