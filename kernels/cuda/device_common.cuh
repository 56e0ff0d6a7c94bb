// Device helpers shared by the kernel files: typed 16-byte vector loads/stores and dtype dispatch.
#pragma once

#include <cuda_runtime.h>

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

template <class T>
__device__ __forceinline__ void load_vec(const T* p, float (&out)[VecTraits<T>::kElems]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  T tmp[VecTraits<T>::kElems];
  memcpy(tmp, &raw, sizeof raw);
#pragma unroll
  for (int i = 0; i < VecTraits<T>::kElems; ++i) out[i] = numerics::to_float(tmp[i]);
}

template <class T>
__device__ __forceinline__ void store_vec(T* p, const float (&in)[VecTraits<T>::kElems]) {
  T tmp[VecTraits<T>::kElems];
#pragma unroll
  for (int i = 0; i < VecTraits<T>::kElems; ++i) tmp[i] = numerics::from_float<T>(in[i]);
  uint4 raw;
  memcpy(&raw, tmp, sizeof raw);
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
  __device__ __forceinline__ float at(int64_t i) const {
    return amax[use_narrow ? narrow(static_cast<uint32_t>(i)) : wide.index(i)];
  }
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
