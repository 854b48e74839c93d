// The device copy of a CosineIndex's rows (cosine_index_device.cpp) as seen by the search.
#pragma once
#include <cstdint>

#include "core/cuda_loader.h"

namespace reckit {

struct CudaIndexMirror {
  const CudaApi* api = nullptr;
  reckit_cuda_index* handle = nullptr;
  uint64_t generation = 0;  // the index generation this copy holds
  CudaIndexMirror() = default;
  CudaIndexMirror(const CudaIndexMirror&) = delete;
  CudaIndexMirror& operator=(const CudaIndexMirror&) = delete;
  ~CudaIndexMirror();
};

// A reckit_cuda status as a reckit::Error (out of memory -> OutOfMemory, no device -> NoDevice, else Internal).
[[noreturn]] void raise_cuda_status(int status, const char* message);

}  // namespace reckit
