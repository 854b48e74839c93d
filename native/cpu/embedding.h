// Kernel family "embedding": the memory-bound leaves of EmbeddingTable — row gather, pooled bags
// (sum/mean/max, optional per-id weights) and the axpy the sparse backward accumulates with.
// Semantics (ids and offsets are validated by the core before any kernel runs):
//   bag b covers ids[offsets[b] .. (b + 1 < bags ? offsets[b + 1] : n_ids))
//   sum:  out[b][d] = Σ_i w_i · T[ids[i]][d]                 (w_i = weights[i], or 1)
//   mean: out[b][d] = (1 / len_b) · Σ_i w_i · T[ids[i]][d]
//   max:  out[b][d] = max_i w_i · T[ids[i]][d]                (an empty bag yields zeros in every mode)
// Kernels prefetch the rows of ids a few positions ahead (across bag boundaries) and allocate nothing.
#pragma once
#include <cstddef>
#include <cstdint>

#include "core/embedding_optimizers.h"

namespace reckit::cpu {

struct BagProblem {
  const float* table;     // rows × dim, row-major
  size_t dim;
  const uint32_t* ids;    // n_ids row numbers, all < rows
  size_t n_ids;
  const uint32_t* offsets;  // bags start positions, non-decreasing, offsets[0] == 0, all <= n_ids
  size_t bags;
  const float* weights;   // n_ids per-id weights, or null
  float* out;             // bags × dim
};

// Where bag b ends (exclusive).
inline size_t bag_end(const BagProblem& p, size_t b) { return b + 1 < p.bags ? p.offsets[b + 1] : p.n_ids; }

struct EmbeddingKernels {
  // out[i - begin] = table[ids[i]] for i in [begin, end); ids[0..n_ids) may be prefetched.
  void (*gather_f32)(const float* table, size_t dim, const uint32_t* ids, size_t n_ids, size_t begin, size_t end,
                     float* out);
  // Pooled sum (mean: scaled by 1/len) of bags [begin, end) into p.out.
  void (*bag_sum_f32)(const BagProblem& p, size_t begin, size_t end, bool mean);
  // Pooled element-wise max of bags [begin, end) into p.out.
  void (*bag_max_f32)(const BagProblem& p, size_t begin, size_t end);
  // y[0..n) += a · x[0..n)
  void (*axpy_f32)(float a, const float* x, float* y, size_t n);
  // One row's optimizer update from its summed gradient g (core/embedding_optimizers.h has the formulas;
  // the portable kernels call them, the SIMD twins compute the same expressions lane-wise).
  void (*sgd_row_f32)(float* w, const float* g, size_t dim, const SparseOptimizerConfig& c);
  void (*adagrad_row_f32)(float* w, const float* g, float* sum_sq, size_t dim, const SparseOptimizerConfig& c);
  void (*adam_row_f32)(float* w, const float* g, float* m, float* v, size_t dim, const AdamCorrection& corr,
                       const SparseOptimizerConfig& c);
};

EmbeddingKernels embedding_portable();
#if defined(RECKIT_HAVE_AVX2)
EmbeddingKernels embedding_avx2();
#endif
#if defined(RECKIT_HAVE_AVX512)
EmbeddingKernels embedding_avx512();
#endif

}  // namespace reckit::cpu
