// Device helpers shared by the kernel files: typed 16-byte vector loads/stores and dtype dispatch.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <type_traits>

#include "kernels/cpu/storage.h"
#include "kernels/cuda/fast_div.h"
#include "kernels/cuda/kernels.h"

namespace qcfg::cuda::detail {

using numerics::BFloat16;
using numerics::Half;

// N elements of T moved as one 16-byte transaction.
template <class T>
struct VecTraits {
  static constexpr int kBytes = 16;
  static constexpr int kElems = kBytes / static_cast<int>(sizeof(T));
  static_assert(kElems * sizeof(T) == kBytes, "element size must divide 16 bytes");
  static_assert(alignof(uint4) == 16, "vector type must be 16-byte aligned");
};

// N elements of T widened to fp32 bit for bit, NaN payloads and signs included (the software
// conversions of storage.h): for kernels whose output depends on a NaN's sign (INT fake quant's
// tiny-amax rule keeps the input's sign).
// unpack_vec_exact widens a vector already loaded (v5 kernels keep the raw 16 bytes in flight and
// widen only when they compute: half the registers of the widened floats).
// bf16 (v5): a word's two halves widened by one instruction each (low << 16, high & 0xffff0000:
// bf16_bits_to_float's bits) instead of extracting each 16-bit half and then shifting it (two).
template <class T>
__device__ __forceinline__ void unpack_vec_exact(const uint4& raw,
                                                 float (&out)[VecTraits<T>::kElems]) {
  if constexpr (std::is_same_v<T, BFloat16>) {
    const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      out[2 * j] = numerics::bits_float(w[j] << 16);
      out[2 * j + 1] = numerics::bits_float(w[j] & 0xffff0000u);
    }
  } else {
    T tmp[VecTraits<T>::kElems];
    memcpy(tmp, &raw, sizeof raw);
#pragma unroll
    for (int i = 0; i < VecTraits<T>::kElems; ++i) out[i] = numerics::to_float(tmp[i]);
  }
}
template <class T>
__device__ __forceinline__ void load_vec_exact(const T* p, float (&out)[VecTraits<T>::kElems]) {
  unpack_vec_exact<T>(*reinterpret_cast<const uint4*>(p), out);
}

// The same with fp16 widened by the hardware (one instruction per element instead of six): the
// exact value for every non-NaN fp16 (widening never rounds; subnormals are kept); a NaN stays a
// NaN, possibly with another sign or payload, which no kernel but INT fake quant can observe.
template <class T>
__device__ __forceinline__ void load_vec(const T* p, float (&out)[VecTraits<T>::kElems]) {
  if constexpr (std::is_same_v<T, Half>) {
    const uint4 raw = *reinterpret_cast<const uint4*>(p);
    const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      __half2_raw h;
      h.x = static_cast<unsigned short>(w[i] & 0xffffu);
      h.y = static_cast<unsigned short>(w[i] >> 16);
      const float2 f = __half22float2(__half2(h));
      out[2 * i] = f.x;
      out[2 * i + 1] = f.y;
    }
  } else {
    load_vec_exact(p, out);
  }
}

// Two fp32 values rounded to nearest even into one 32-bit pair (lo in the low half), by the
// hardware conversion (sm_80+; one instruction for two elements). For every non-NaN input it is
// the IEEE rounding that numerics::from_float computes in software (subnormals kept, overflow to
// inf); a NaN stays a NaN, possibly with another payload (the tests treat all NaNs alike).
__device__ __forceinline__ uint32_t pack2(float lo, float hi, BFloat16) {
#if __CUDA_ARCH__ >= 800
  uint32_t r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
#else
  return numerics::float_to_bf16_bits(lo) | (uint32_t{numerics::float_to_bf16_bits(hi)} << 16);
#endif
}
__device__ __forceinline__ uint32_t pack2(float lo, float hi, Half) {
#if __CUDA_ARCH__ >= 800
  uint32_t r;
  asm("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
#else
  return numerics::float_to_half_bits(lo) | (uint32_t{numerics::float_to_half_bits(hi)} << 16);
#endif
}

template <class T>
__device__ __forceinline__ void store_vec(T* p, const float (&in)[VecTraits<T>::kElems]) {
  uint4 raw;
  if constexpr (std::is_same_v<T, float>) {
    memcpy(&raw, in, sizeof raw);
  } else {
    uint32_t w[4];
#pragma unroll
    for (int i = 0; i < 4; ++i) w[i] = pack2(in[2 * i], in[2 * i + 1], T{});
    memcpy(&raw, w, sizeof raw);
  }
  *reinterpret_cast<uint4*>(p) = raw;
}

template <class T>
__device__ __forceinline__ float load1(const T* p) {
  return numerics::to_float(*p);
}
template <class T>
__device__ __forceinline__ void store1(T* p, float v) {
  *p = numerics::from_float<T>(v);
}

// Loads one full block (16-byte vectors) and returns the unsigned max of its magnitude bits. For
// non-negative floats the bit order is the value order, so without a NaN in the block (max bits
// <= 0x7f800000) this is block_abs_max's value bit for bit (an all-zero block gives +0 in both).
template <class T, int kBlock>
__device__ __forceinline__ uint32_t load_full_block(const T* p, float (&v)[kBlock]) {
  if constexpr (std::is_same_v<T, BFloat16>) {
    // bf16: the magnitudes of both halves of a word at once (16-bit lane max).
    uint32_t m2 = 0;
#pragma unroll
    for (int c = 0; c < kBlock / 8; ++c) {
      const uint4 raw = reinterpret_cast<const uint4*>(p)[c];
      const uint32_t w[4] = {raw.x, raw.y, raw.z, raw.w};
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        m2 = __vmaxu2(m2, w[j] & 0x7fff7fffu);
        v[c * 8 + 2 * j] = numerics::bits_float(w[j] << 16);
        v[c * 8 + 2 * j + 1] = numerics::bits_float(w[j] & 0xffff0000u);
      }
    }
    const uint32_t lo = m2 & 0xffffu, hi = m2 >> 16;
    return (lo > hi ? lo : hi) << 16;
  } else {
    constexpr int kN = VecTraits<T>::kElems;
    uint32_t m = 0;
#pragma unroll
    for (int c = 0; c < kBlock / kN; ++c) {
      float part[kN];
      load_vec(p + c * kN, part);
#pragma unroll
      for (int i = 0; i < kN; ++i) {
        v[c * kN + i] = part[i];
        m = max(m, numerics::float_bits(part[i]) & 0x7fffffffu);
      }
    }
    return m;
  }
}

template <class T, int kBlock>
__device__ __forceinline__ void store_full_block(T* p, const float (&v)[kBlock]) {
  constexpr int kN = VecTraits<T>::kElems;
#pragma unroll
  for (int c = 0; c < kBlock / kN; ++c) {
    float part[kN];
#pragma unroll
    for (int i = 0; i < kN; ++i) part[i] = v[c * kN + i];
    store_vec(p + c * kN, part);
  }
}

// AmaxIndexing::index for tensors of fewer than 2^32 elements, with the divisions by the layout's
// strides as FastDiv32 (built on the host at launch).
struct AmaxIndex32 {
  AmaxIndexing::Kind kind = AmaxIndexing::Kind::tensor;
  FastDiv32 outer;  // axis: stride; block: cols
  FastDiv32 inner;  // axis: size; block: block
  uint32_t col_blocks = 1;

  static AmaxIndex32 make(const AmaxIndexing& ix) {
    AmaxIndex32 f;
    f.kind = ix.kind;
    if (ix.kind == AmaxIndexing::Kind::axis) {
      f.outer = FastDiv32::make(static_cast<uint32_t>(ix.stride));
      f.inner = FastDiv32::make(static_cast<uint32_t>(ix.size));
    } else if (ix.kind == AmaxIndexing::Kind::block) {
      f.outer = FastDiv32::make(static_cast<uint32_t>(ix.cols));
      f.inner = FastDiv32::make(static_cast<uint32_t>(ix.block));
      f.col_blocks = static_cast<uint32_t>((ix.cols + ix.block - 1) / ix.block);
    }
    return f;
  }
  // Whether make() represents ix exactly for tensors of numel elements.
  static bool fits(const AmaxIndexing& ix, int64_t numel) {
    const int64_t lim = 0xffffffffll;
    return numel <= lim && ix.stride <= lim && ix.size <= lim && ix.cols <= lim && ix.block <= lim;
  }

  __device__ __forceinline__ uint32_t operator()(uint32_t i) const {
    if (kind == AmaxIndexing::Kind::tensor) return 0;
    if (kind == AmaxIndexing::Kind::axis) return inner.mod(outer.div(i));
    const uint32_t r = outer.div(i);
    return r * col_blocks + inner.div(i - r * outer.divisor);
  }
};

// Where a vector's amax entry comes from: one entry for the whole tensor (read once), or the
// entry of each element index (FastDiv32 index maps, or the 64-bit AmaxIndexing beyond 2^32).
struct AmaxSource {
  const float* amax;
  AmaxIndexing wide;
  AmaxIndex32 narrow;
  bool use_narrow;

  static AmaxSource make(const float* amax, const AmaxIndexing& ix, int64_t numel) {
    const bool narrow = AmaxIndex32::fits(ix, numel);
    return {amax, ix, narrow ? AmaxIndex32::make(ix) : AmaxIndex32{}, narrow};
  }
  __device__ __forceinline__ int64_t index(int64_t i) const {
    return use_narrow ? static_cast<int64_t>(narrow(static_cast<uint32_t>(i))) : wide.index(i);
  }
  __device__ __forceinline__ float at(int64_t i) const { return amax[index(i)]; }
};

// True when every aligned group of n consecutive elements maps to one amax entry.
inline bool uniform_over(const AmaxIndexing& ix, int64_t n) {
  switch (ix.kind) {
    case AmaxIndexing::Kind::tensor:
      return true;
    case AmaxIndexing::Kind::axis:
      return ix.stride % n == 0;
    case AmaxIndexing::Kind::block:
      return ix.block % n == 0 && ix.cols % n == 0;
  }
  return false;
}

inline bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

inline unsigned grid_for(int64_t work, int threads) {
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 1 ? 1 : (blocks > 65535 * 8 ? 65535 * 8 : blocks));
}

// Calls fn(T{}) with the storage type of dtype.
template <class Fn>
cudaError_t dispatch_dtype(DType dtype, Fn&& fn) {
  switch (dtype) {
    case DType::f32:
      fn(float{});
      break;
    case DType::f16:
      fn(Half{});
      break;
    case DType::bf16:
      fn(BFloat16{});
      break;
    default:
      return cudaErrorInvalidValue;
  }
  return cudaGetLastError();
}

}  // namespace qcfg::cuda::detail
