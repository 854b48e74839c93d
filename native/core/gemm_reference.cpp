// Reference GEMM: obviously-correct loops, the oracle the packed, ISA-dispatched gemm_f32 (core/gemm.cpp)
// is checked against.
#include <cmath>

#include "core/activations.h"
#include "core/gemm.h"

namespace reckit {

float apply_activation_reference(Activation act, float x, float slope) {
  switch (act) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > 0.f ? x : 0.f;
    case Activation::LeakyRelu: return x > 0.f ? x : slope * x;
    case Activation::Tanh: return std::tanh(x);
    case Activation::Sigmoid: return 1.f / (1.f + std::exp(-x));
  }
  return x;
}

void gemm_f32_reference(Transpose trans_a, Transpose trans_b, size_t m, size_t n, size_t k, float alpha,
                        const float* a, size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc,
                        const GemmEpilogue* epilogue) {
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      float sum = 0.f;
      for (size_t p = 0; p < k; ++p) {
        const float av = trans_a == Transpose::No ? a[i * lda + p] : a[p * lda + i];
        const float bv = trans_b == Transpose::No ? b[p * ldb + j] : b[j * ldb + p];
        sum += av * bv;
      }
      float value = alpha * sum + (beta == 0.f ? 0.f : beta * c[i * ldc + j]);
      if (epilogue) {
        if (epilogue->bias) value += epilogue->bias[j];
        value = apply_activation_reference(epilogue->activation, value, epilogue->alpha);
        if (epilogue->gate) {
          value *= activation_derivative_from_output(epilogue->gate_activation, epilogue->gate[i * epilogue->ld_gate + j],
                                                     epilogue->gate_slope);
        }
      }
      c[i * ldc + j] = value;
    }
  }
}

}  // namespace reckit
