// Page-locked host memory that host <-> device copies of resident objects go through (embedding_table.cu,
// mlp.cu): the DMA engine reads it directly, where a copy from pageable memory is first bounced through a
// driver buffer. Grown on demand up to kStagingBytes; larger transfers go in pieces. Not thread-safe: each
// resident object owns one and serializes its calls.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "cuda/cuda_common.h"

namespace reckit::cuda {

constexpr size_t kStagingBytes = size_t{8} << 20;  // the largest pinned buffer an object keeps

class PinnedStaging {
 public:
  ~PinnedStaging() {
    if (data_) cudaFreeHost(data_);
  }
  void upload(void* device, const void* host, size_t bytes) {
    for (size_t done = 0; done < bytes;) {
      const size_t piece = reserve(bytes - done);
      std::memcpy(data_, static_cast<const char*>(host) + done, piece);
      check(cudaMemcpy(static_cast<char*>(device) + done, data_, piece, cudaMemcpyHostToDevice), "copy to device");
      done += piece;
    }
  }
  void download(void* host, const void* device, size_t bytes) {
    for (size_t done = 0; done < bytes;) {
      const size_t piece = reserve(bytes - done);
      check(cudaMemcpy(data_, static_cast<const char*>(device) + done, piece, cudaMemcpyDeviceToHost), "copy to host");
      std::memcpy(static_cast<char*>(host) + done, data_, piece);
      done += piece;
    }
  }

 private:
  // Room for min(want, kStagingBytes) bytes; returns that size.
  size_t reserve(size_t want) {
    const size_t need = std::min(want, kStagingBytes);
    if (need > capacity_) {
      const size_t grown = std::min(kStagingBytes, std::max(need, capacity_ * 2));
      void* fresh = nullptr;
      check(cudaMallocHost(&fresh, grown), "cudaMallocHost(staging)");
      if (data_) cudaFreeHost(data_);
      data_ = fresh;
      capacity_ = grown;
    }
    return need;
  }
  void* data_ = nullptr;
  size_t capacity_ = 0;
};

}  // namespace reckit::cuda
