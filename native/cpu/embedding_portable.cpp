// Portable embedding kernels: plain C++ the compiler vectorises for the baseline ISA. They are the
// reference the SIMD twins are tested against and the fallback on CPUs without AVX2.
#include <cstring>

#include "cpu/embedding.h"

namespace reckit::cpu {
namespace {

// Rows this many ids ahead are prefetched: enough to cover DRAM latency at a row per few ns.
constexpr size_t kPrefetchDistance = 8;

inline void prefetch_row(const float* row, size_t dim) {
#if defined(__GNUC__)
  for (size_t off = 0; off < dim; off += 16) __builtin_prefetch(row + off, 0, 3);
#else
  (void)row;
  (void)dim;
#endif
}

void gather_f32_portable(const float* table, size_t dim, const uint32_t* ids, size_t n_ids, size_t begin, size_t end,
                         float* out) {
  for (size_t i = begin; i < end; ++i) {
    if (i + kPrefetchDistance < n_ids) prefetch_row(table + size_t{ids[i + kPrefetchDistance]} * dim, dim);
    std::memcpy(out + (i - begin) * dim, table + size_t{ids[i]} * dim, dim * sizeof(float));
  }
}

void bag_sum_f32_portable(const BagProblem& p, size_t begin, size_t end, bool mean) {
  const size_t dim = p.dim;
  for (size_t b = begin; b < end; ++b) {
    float* out = p.out + b * dim;
    for (size_t d = 0; d < dim; ++d) out[d] = 0.f;
    const size_t first = p.offsets[b], last = bag_end(p, b);
    for (size_t i = first; i < last; ++i) {
      if (i + kPrefetchDistance < p.n_ids) prefetch_row(p.table + size_t{p.ids[i + kPrefetchDistance]} * dim, dim);
      const float* row = p.table + size_t{p.ids[i]} * dim;
      const float w = p.weights ? p.weights[i] : 1.f;
      for (size_t d = 0; d < dim; ++d) out[d] += w * row[d];
    }
    if (mean && last > first) {
      const float scale = 1.f / static_cast<float>(last - first);
      for (size_t d = 0; d < dim; ++d) out[d] *= scale;
    }
  }
}

void bag_max_f32_portable(const BagProblem& p, size_t begin, size_t end) {
  const size_t dim = p.dim;
  for (size_t b = begin; b < end; ++b) {
    float* out = p.out + b * dim;
    const size_t first = p.offsets[b], last = bag_end(p, b);
    if (first == last) {
      for (size_t d = 0; d < dim; ++d) out[d] = 0.f;
      continue;
    }
    for (size_t i = first; i < last; ++i) {
      if (i + kPrefetchDistance < p.n_ids) prefetch_row(p.table + size_t{p.ids[i + kPrefetchDistance]} * dim, dim);
      const float* row = p.table + size_t{p.ids[i]} * dim;
      const float w = p.weights ? p.weights[i] : 1.f;
      if (i == first) {
        for (size_t d = 0; d < dim; ++d) out[d] = w * row[d];
      } else {
        // Strictly greater: the first occurrence wins ties, which the backward relies on.
        for (size_t d = 0; d < dim; ++d) {
          const float v = w * row[d];
          out[d] = v > out[d] ? v : out[d];
        }
      }
    }
  }
}

void axpy_f32_portable(float a, const float* x, float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

void sgd_row_f32_portable(float* w, const float* g, size_t dim, const SparseOptimizerConfig& c) {
  for (size_t d = 0; d < dim; ++d) w[d] = sgd_update(w[d], g[d], c.lr, c.weight_decay);
}

void adagrad_row_f32_portable(float* w, const float* g, float* sum_sq, size_t dim, const SparseOptimizerConfig& c) {
  for (size_t d = 0; d < dim; ++d) w[d] = adagrad_update(w[d], g[d], sum_sq + d, c.lr, c.eps, c.weight_decay);
}

void adam_row_f32_portable(float* w, const float* g, float* m, float* v, size_t dim, const AdamCorrection& corr,
                           const SparseOptimizerConfig& c) {
  for (size_t d = 0; d < dim; ++d) {
    w[d] = adam_update(w[d], g[d], m + d, v + d, corr, c.beta1, c.beta2, c.eps, c.weight_decay);
  }
}

}  // namespace

EmbeddingKernels embedding_portable() {
  return {gather_f32_portable,  bag_sum_f32_portable,     bag_max_f32_portable, axpy_f32_portable,
          sgd_row_f32_portable, adagrad_row_f32_portable, adam_row_f32_portable};
}

}  // namespace reckit::cpu
