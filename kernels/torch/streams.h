// Concurrency helpers for callers that stream many tensors through the GPU from several threads
// (the runtime's jobs): a CUDA stream per worker thread and page-locked host staging, so that one
// worker's copies and kernels overlap with another's instead of serializing on the default stream
// and on pageable copies. On the CPU (or in a build without CUDA) they are no-ops and plain host
// tensors, so callers need no special case.
#pragma once

#include <ATen/ATen.h>

#include <memory>

namespace qcfg::tensor_ops {

// While alive, CUDA work this thread issues on `device` goes to a stream of its own from
// LibTorch's pool. Create and destroy it on the same thread.
class WorkerStream {
 public:
  explicit WorkerStream(const at::Device& device);
  WorkerStream(const WorkerStream&) = delete;
  WorkerStream& operator=(const WorkerStream&) = delete;

 private:
  std::shared_ptr<void> guard_;
};

// Waits until everything this thread queued on its current stream of `device` (asynchronous
// copies included) is done; nothing to wait for on the CPU.
void synchronize_current_stream(const at::Device& device);

// An uninitialized host tensor that `device` can copy from and to asynchronously: page-locked
// (from LibTorch's caching host allocator, which keeps a block until the copies that use it have
// finished) when `device` is CUDA, ordinary host memory otherwise.
at::Tensor host_staging(at::IntArrayRef shape, at::ScalarType dtype, const at::Device& device);

// `x` on the host in a contiguous tensor. For a CUDA tensor the copy is only queued on the current
// stream: synchronize_current_stream before reading the result.
at::Tensor to_host_async(const at::Tensor& x);

}  // namespace qcfg::tensor_ops
