// The device side of an EmbeddingTable: a reckit_cuda_table handle from the loaded CUDA library
// (core/cuda_loader.h), freed with the object, and the library's status codes turned into reckit errors.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/cuda_loader.h"
#include "core/embedding_table.h"

namespace reckit {

class EmbeddingDeviceTable {
 public:
  // Uploads rows x dim weights; throws NoDevice / OutOfMemory / Internal.
  EmbeddingDeviceTable(const float* weights, size_t rows, size_t dim);
  ~EmbeddingDeviceTable();
  EmbeddingDeviceTable(const EmbeddingDeviceTable&) = delete;
  EmbeddingDeviceTable& operator=(const EmbeddingDeviceTable&) = delete;

  void write_rows(size_t first_row, size_t count, const float* weights);
  // kind: -1 none, else SparseOptimizer; null arrays mean zeros.
  void set_state(int kind, const float* a, const float* b, const uint32_t* steps);
  void read(float* weights, float* a, float* b, uint32_t* steps);
  void read_rows(size_t first_row, size_t count, float* weights);
  void bag(const BagBatch& batch, float* out);
  SparseGradient backward(const BagBatch& batch, const float* grad_out, size_t dim);
  size_t step(const BagBatch& batch, const float* grad_out, const SparseOptimizerConfig& config, float* weight_grads);
  // Device bytes: rows, optimizer state and the batch buffers kept for the next call.
  size_t bytes() const;

 private:
  const CudaApi* api_;
  reckit_cuda_table* handle_ = nullptr;
};

}  // namespace reckit
