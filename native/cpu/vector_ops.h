// Kernel family "vector ops": dot products and squared norms/distances of float32 vectors.
// Every ISA provides the same table; the portable one is the reference and last fallback.
#pragma once
#include <cstddef>

namespace reckit::cpu {

struct VectorOps {
  float (*dot_f32)(const float* a, const float* b, size_t n);
  float (*l2sq_f32)(const float* a, const float* b, size_t n);  // sum (a_i - b_i)^2
  float (*sumsq_f32)(const float* a, size_t n);                  // sum a_i^2
};

VectorOps vector_ops_portable();
#if defined(RECKIT_HAVE_AVX2)
VectorOps vector_ops_avx2();
#endif
#if defined(RECKIT_HAVE_AVX512)
VectorOps vector_ops_avx512();
#endif
#if defined(RECKIT_HAVE_NEON)
VectorOps vector_ops_neon();
#endif

}  // namespace reckit::cpu
