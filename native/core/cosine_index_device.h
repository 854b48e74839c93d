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

}  // namespace reckit
