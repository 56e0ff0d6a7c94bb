// The launch-layout generation switch of kernels.h (issue 14): read once from
// QCFG_KERNELS_VARIANT, changeable at run time (bench_kernels --variant, the GPU equality tests).
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "kernels/cuda/kernels.h"

namespace qcfg::cuda {
namespace {

std::atomic<int>& variant_slot() {
  static std::atomic<int> slot{[] {
    const char* env = std::getenv("QCFG_KERNELS_VARIANT");
    if (env != nullptr && std::strcmp(env, "3") == 0) return 3;
    if (env != nullptr && std::strcmp(env, "4") == 0) return 4;
    return 5;
  }()};
  return slot;
}

}  // namespace

int kernel_variant() { return variant_slot().load(std::memory_order_relaxed); }

bool set_kernel_variant(int variant) {
  if (variant < 3 || variant > 5) return false;
  variant_slot().store(variant, std::memory_order_relaxed);
  return true;
}

}  // namespace qcfg::cuda
