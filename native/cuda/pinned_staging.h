// Page-locked host memory that host <-> device copies of resident objects go through (the device CosineIndex,
// EmbeddingTable and Mlp: index.cu, embedding_table.cu, mlp.cu): the DMA engine reads it directly, where a copy
// from pageable memory is first bounced through a driver buffer. Grown on demand up to kStagingBytes, so a small
// object never pins more than its transfers need. A transfer larger than the buffer goes in pieces through its
// two halves: the CPU fills one half while the other half's copy runs on the stream (events mark when a half has
// been read), so the memcpy and the DMA overlap. Not thread-safe: each resident object owns one and serializes
// its calls. A one-shot object (the transient index of reckit_cuda_topk_f32) passes pinned = false: its copies
// then go straight from pageable memory, since pinning a buffer for one copy costs more than the copy.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstring>

#include "cuda/cuda_common.h"

namespace reckit::cuda {

constexpr size_t kStagingBytes = size_t{8} << 20;  // the largest pinned buffer an object keeps

class PinnedStaging {
 public:
  explicit PinnedStaging(bool pinned = true) : pinned_(pinned) {}
  ~PinnedStaging() {
    if (data_) cudaFreeHost(data_);
    for (cudaEvent_t e : read_) {
      if (e) cudaEventDestroy(e);
    }
  }
  PinnedStaging(const PinnedStaging&) = delete;
  PinnedStaging& operator=(const PinnedStaging&) = delete;

  // Host -> device; returns when the copy has finished (stream: the owner's, or the default stream).
  void upload(void* device, const void* host, size_t bytes, cudaStream_t stream = nullptr) {
    if (bytes == 0) return;
    if (!pinned_) {
      check(cudaMemcpy(device, host, bytes, cudaMemcpyHostToDevice), "copy to device");
      return;
    }
    const size_t capacity = reserve(bytes);
    const size_t piece_max = bytes <= capacity ? bytes : capacity / 2;  // one piece, or alternating halves
    if (piece_max < bytes) make_events();
    bool pending[2] = {false, false};
    for (size_t done = 0, i = 0; done < bytes; done += piece_max, ++i) {
      const size_t half = i % 2, piece = std::min(piece_max, bytes - done);
      char* stage = data_ + half * piece_max;
      if (pending[half]) check(cudaEventSynchronize(read_[half]), "cudaEventSynchronize(staging)");
      std::memcpy(stage, static_cast<const char*>(host) + done, piece);
      check(cudaMemcpyAsync(static_cast<char*>(device) + done, stage, piece, cudaMemcpyHostToDevice, stream),
            "copy to device");
      if (piece_max < bytes) {
        check(cudaEventRecord(read_[half], stream), "cudaEventRecord(staging)");
        pending[half] = true;
      }
    }
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(upload)");
  }

  // Device -> host, after the work queued on `stream` before it.
  void download(void* host, const void* device, size_t bytes, cudaStream_t stream = nullptr) {
    if (bytes == 0) return;
    if (!pinned_) {
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(download)");
      check(cudaMemcpy(host, device, bytes, cudaMemcpyDeviceToHost), "copy to host");
      return;
    }
    const size_t capacity = reserve(bytes);
    for (size_t done = 0; done < bytes;) {
      const size_t piece = std::min(capacity, bytes - done);
      check(cudaMemcpyAsync(data_, static_cast<const char*>(device) + done, piece, cudaMemcpyDeviceToHost, stream),
            "copy to host");
      check(cudaStreamSynchronize(stream), "cudaStreamSynchronize(download)");
      std::memcpy(static_cast<char*>(host) + done, data_, piece);
      done += piece;
    }
  }

  size_t bytes() const { return capacity_; }

 private:
  // Room for min(want, kStagingBytes) bytes (grown at least twofold, so a growing object reallocates rarely);
  // returns the capacity.
  size_t reserve(size_t want) {
    const size_t need = std::min(want, kStagingBytes);
    if (need > capacity_) {
      const size_t grown = std::min(kStagingBytes, std::max(need, capacity_ * 2));
      void* fresh = nullptr;
      check(cudaMallocHost(&fresh, grown), "cudaMallocHost(staging)");
      if (data_) cudaFreeHost(data_);
      data_ = static_cast<char*>(fresh);
      capacity_ = grown;
    }
    return capacity_;
  }
  void make_events() {
    for (cudaEvent_t& e : read_) {
      if (!e) check(cudaEventCreate(&e), "cudaEventCreate(staging)");
    }
  }
  bool pinned_;
  char* data_ = nullptr;
  size_t capacity_ = 0;
  cudaEvent_t read_[2] = {nullptr, nullptr};  // when each half's copy has finished reading it
};

}  // namespace reckit::cuda
