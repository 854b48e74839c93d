// The fixed-tree block sum the single-block reductions share (gan_kernels.cu, elementwise.cu): each thread's
// partial into shared memory, then halving strides, so the total's rounding is the same on every run.
#pragma once
#include "cuda/cuda_common.h"

namespace reckit::cuda {

// Σ over the block's Threads threads of `local`, returned to every thread. sums: the block's __shared__
// double[Threads] (reused by the caller afterwards only past a __syncthreads). Every thread of the block calls it.
template <unsigned Threads>
__device__ __forceinline__ double block_tree_sum(double* sums, double local) {
  sums[threadIdx.x] = local;
  __syncthreads();
  for (unsigned half = Threads / 2; half > 0; half /= 2) {
    if (threadIdx.x < half) sums[threadIdx.x] += sums[threadIdx.x + half];
    __syncthreads();
  }
  return sums[0];
}

}  // namespace reckit::cuda
