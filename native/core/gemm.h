// Single-precision GEMM with a fused epilogue, the workhorse of Mlp/Gan (forward and backward).
// Row-major throughout. Computes
//     C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C        (beta == 0: C is write-only, NaNs in C ignored)
// then, if `epilogue` is given, C[i][j] = act(C[i][j] + bias[j]) (bias may be null), and, if it has a
// gate, C[i][j] *= gate_act'(gate[i·ld_gate + j]) (the derivative taken from an activation's output).
// op(X) = X or Xᵀ; lda/ldb/ldc are row strides in elements of the matrices as stored.
// Threaded on the compute pool; deterministic for a given thread count.
#pragma once
#include <cstddef>

namespace reckit {

enum class Activation { Linear = 0, Relu = 1, LeakyRelu = 2, Tanh = 3, Sigmoid = 4 };

struct GemmEpilogue {
  const float* bias = nullptr;  // n values, or null
  Activation activation = Activation::Linear;
  float alpha = 0.01f;          // leaky_relu slope
  // The backward pass's gate: dL/dz of the layer below = (delta · Wᵀ) ⊙ act'(y), y that layer's output
  // [m × n, row stride ld_gate]. Fused here, the product is never written and re-read by a separate pass.
  const float* gate = nullptr;  // null: no gate
  size_t ld_gate = 0;
  Activation gate_activation = Activation::Linear;
  float gate_slope = 0.01f;     // leaky_relu slope of the gate's activation
};

enum class Transpose { No = 0, Yes = 1 };

void gemm_f32(Transpose trans_a, Transpose trans_b, size_t m, size_t n, size_t k, float alpha, const float* a,
              size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc,
              const GemmEpilogue* epilogue = nullptr);

// The plain triple loop (float accumulation), the reference the fast path is tested against.
void gemm_f32_reference(Transpose trans_a, Transpose trans_b, size_t m, size_t n, size_t k, float alpha,
                        const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc,
                        const GemmEpilogue* epilogue = nullptr);

}  // namespace reckit
