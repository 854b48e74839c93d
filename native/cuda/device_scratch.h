// A device buffer kept by a resident object across calls and grown (never shrunk) on demand: cudaMalloc and
// cudaFree synchronize the device and cost more than the kernels of a small call, so a resident object (the
// device CosineIndex's search buffers, the device EmbeddingTable's batch buffers) keeps its per-call buffers.
// Not thread-safe: the owner serializes its calls.
#pragma once
#include <cstddef>
#include <memory>

#include "cuda/cuda_common.h"

namespace reckit::cuda {

template <class T>
class Scratch {
 public:
  // Room for n elements (null for n == 0); the contents are whatever the last call left.
  T* get(size_t n, const char* what) {
    if (n == 0) return nullptr;
    if (!buffer_ || buffer_->size() < n) {
      buffer_.reset();  // free the old one first: the device may not hold both
      buffer_.reset(new DeviceBuffer<T>(n, what));
    }
    return buffer_->get();
  }
  size_t bytes() const { return buffer_ ? buffer_->size() * sizeof(T) : 0; }

 private:
  std::unique_ptr<DeviceBuffer<T>> buffer_;
};

}  // namespace reckit::cuda
