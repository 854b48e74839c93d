// Device-pointer launchers of the training kernels (gemm.cu, elementwise.cu), for the resident Mlp
// (mlp.cu): the stateless entry points copy host arrays in and out around the same launches.
#pragma once
#include <cstddef>

#include "core/activations.h"
#include "core/optimizers.h"
#include "cuda/cuda_common.h"

namespace reckit::cuda {

// C[m x n] = act(alpha * op(A) op(B) + beta * C + bias) on device pointers (reckit_cuda_gemm_f32's contract).
void launch_gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
                 const float* b, size_t ldb, float beta, float* c, size_t ldc, const float* bias,
                 reckit::Activation activation, float slope);

// Σ loss_i over n elements (deterministic order) and grad[i] = dL/dz_i * scale (grad may be null).
double device_loss_sum(int kind, const float* z, const float* y, size_t n, float* grad, float scale);

// One Adam step over n parameters in place.
void launch_adam(const reckit::AdamStep& step, float* p, const float* g, float* m, float* v, size_t n);

}  // namespace reckit::cuda
