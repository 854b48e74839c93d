// The building blocks of the deterministic sparse backward (embedding_backward.cu), shared by the stateless
// entry points and the device-resident table (embedding_table.cu). Every pointer in DeviceBatch is on the
// device; the host functions launch kernels and throw reckit::cuda::Failure.
#pragma once
#include <cstddef>
#include <cstdint>

#include "cuda/cuda_common.h"

namespace reckit::cuda {

// A batch of bags already on the device. offsets null: every position is its own bag (bags == n).
struct DeviceBatch {
  const unsigned* ids = nullptr;
  size_t n = 0;
  const unsigned* offsets = nullptr;
  size_t bags = 0;
  const float* weights = nullptr;  // per position, or null
  int mode = 0;                    // 0 sum, 1 mean, 2 max
  const float* grad_out = nullptr; // bags x dim
  const unsigned* argmax = nullptr;// max: bags x dim positions (bag_argmax)
};

// The one host-side validation pass over a batch, before anything is copied (the kernels trust their input).
void validate_batch(size_t rows, size_t dim, const uint32_t* ids, size_t n, const uint32_t* offsets, size_t bags,
                    int mode, bool allow_max);

// Pooled lookup (embedding.cu): out is bags x dim.
void launch_embedding_bag(const float* table, size_t dim, const DeviceBatch& batch, float* out);

// Max bags: argmax[b x dim + d] = the first position of bag b holding the maximum of w_i * table[ids[i]][d]
// (the CPU's tie rule); entries of empty bags are left unwritten.
void bag_argmax(const float* table, size_t dim, const DeviceBatch& batch, unsigned* argmax);

// d out[bag(i)] / d weights[i] for every position (n floats), from the table as it is now; batch.weights set.
void weight_gradients(const float* table, size_t dim, const DeviceBatch& batch, float* out);

// Where segment_gradients works and leaves its results (device memory, owned by the caller: the stateless entry
// points allocate per call, the resident table keeps them between calls). Sizes for a batch of n positions.
struct SegmentBuffers {
  unsigned long long* keys = nullptr;  // sort_keys(n): the (row, position) keys, padded to a power of two
  unsigned* segment_start = nullptr;   // n
  unsigned* segment_row = nullptr;     // n: the touched rows, ascending
  unsigned* touched = nullptr;         // 1: the count, for the kernels
  float* grads = nullptr;              // n x dim: the touched rows' summed gradients
};
size_t sort_keys(size_t n);

// The summed gradient of every touched row (batch.n > 0): segment_row[s] (rows ascending) and grads[s x dim] for
// s < count, the count also left on the device in `touched`. Returns the count.
unsigned segment_gradients(size_t dim, const DeviceBatch& batch, const SegmentBuffers& buffers);

// One optimizer update per touched row (core/embedding_optimizers.h), then Adam's step counts.
void sparse_update(const SegmentBuffers& segments, unsigned count, size_t dim, float* table, float* state_a,
                   float* state_b, unsigned* steps, int optimizer, float lr, float weight_decay, float eps, float beta1,
                   float beta2);

}  // namespace reckit::cuda
