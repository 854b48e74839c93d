// AVX2 + FMA embedding kernels: the AVX-512 scheme with eight ymm accumulators per 64-float block and
// maskload/maskstore for the last vector. Only called after cpuid confirms AVX2 + FMA; internal linkage,
// and the shared inline formulas of core/embedding_optimizers.h are never called here (ODR).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "cpu/embedding.h"

namespace reckit::cpu {
namespace {

constexpr size_t kLanes = 8;
constexpr size_t kBlock = 64;            // floats per register block (8 ymm)
constexpr size_t kStreamingBytes = size_t{8} << 20;  // gathers at least this large use streaming stores
constexpr size_t kPrefetchDistance = 16;  // ids ahead whose rows are prefetched (~64 lines at dim 64)

// Mask of the first `count` lanes (count may exceed 8: all lanes).
inline __m256i lane_mask(size_t count) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(std::min<size_t>(count, kLanes))), lanes);
}

inline void prefetch_block(const float* row, size_t width) {
  for (size_t off = 0; off < width; off += 16) _mm_prefetch(reinterpret_cast<const char*>(row + off), _MM_HINT_T0);
}

template <int NV, bool kMax>
inline void bag_block(const BagProblem& p, size_t first, size_t last, size_t d0, __m256i tail, float scale,
                      float* out) {
  __m256 acc[NV];
  const size_t width = std::min(kBlock, p.dim - d0);
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) acc[v] = kMax ? _mm256_set1_ps(-__builtin_inff()) : _mm256_setzero_ps();
  for (size_t i = first; i < last; ++i) {
    if (i + kPrefetchDistance < p.n_ids) prefetch_block(p.table + size_t{p.ids[i + kPrefetchDistance]} * p.dim + d0, width);
    const float* row = p.table + size_t{p.ids[i]} * p.dim + d0;
    const __m256 w = _mm256_set1_ps(p.weights ? p.weights[i] : 1.f);
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const __m256 x = v + 1 < NV ? _mm256_loadu_ps(row + v * kLanes) : _mm256_maskload_ps(row + v * kLanes, tail);
      acc[v] = kMax ? _mm256_max_ps(acc[v], _mm256_mul_ps(w, x)) : _mm256_fmadd_ps(w, x, acc[v]);
    }
  }
  const __m256 s = _mm256_set1_ps(scale);
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    __m256 r = kMax ? acc[v] : _mm256_mul_ps(acc[v], s);
    if (first == last) r = _mm256_setzero_ps();
    if (v + 1 < NV) _mm256_storeu_ps(out + d0 + v * kLanes, r);
    else _mm256_maskstore_ps(out + d0 + v * kLanes, tail, r);
  }
}

template <bool kMax>
void bag_pool(const BagProblem& p, size_t begin, size_t end, bool mean) {
  for (size_t b = begin; b < end; ++b) {
    const size_t first = p.offsets[b], last = bag_end(p, b);
    const float scale = mean && last > first ? 1.f / static_cast<float>(last - first) : 1.f;
    float* out = p.out + b * p.dim;
    for (size_t d0 = 0; d0 < p.dim; d0 += kBlock) {
      const size_t width = std::min(kBlock, p.dim - d0);
      const size_t nv = (width + kLanes - 1) / kLanes;
      const __m256i tail = lane_mask(width - (nv - 1) * kLanes);
      switch (nv) {
        case 1: bag_block<1, kMax>(p, first, last, d0, tail, scale, out); break;
        case 2: bag_block<2, kMax>(p, first, last, d0, tail, scale, out); break;
        case 3: bag_block<3, kMax>(p, first, last, d0, tail, scale, out); break;
        case 4: bag_block<4, kMax>(p, first, last, d0, tail, scale, out); break;
        case 5: bag_block<5, kMax>(p, first, last, d0, tail, scale, out); break;
        case 6: bag_block<6, kMax>(p, first, last, d0, tail, scale, out); break;
        case 7: bag_block<7, kMax>(p, first, last, d0, tail, scale, out); break;
        default: bag_block<8, kMax>(p, first, last, d0, tail, scale, out); break;
      }
    }
  }
}

void bag_sum_f32_avx2(const BagProblem& p, size_t begin, size_t end, bool mean) { bag_pool<false>(p, begin, end, mean); }
void bag_max_f32_avx2(const BagProblem& p, size_t begin, size_t end) { bag_pool<true>(p, begin, end, false); }

void gather_f32_avx2(const float* table, size_t dim, const uint32_t* ids, size_t n_ids, size_t begin, size_t end,
                     float* out) {
  const __m256i tail = lane_mask(dim % kLanes);
  const size_t full = dim - dim % kLanes;
  // Streaming stores for large results (see the AVX-512 twin): whole rows, 32-byte aligned destinations.
  if (n_ids * dim * sizeof(float) >= kStreamingBytes && dim % kLanes == 0 &&
      reinterpret_cast<uintptr_t>(out) % 32 == 0) {
    for (size_t i = begin; i < end; ++i) {
      if (i + kPrefetchDistance < n_ids) prefetch_block(table + size_t{ids[i + kPrefetchDistance]} * dim, dim);
      const float* row = table + size_t{ids[i]} * dim;
      float* dst = out + (i - begin) * dim;
      for (size_t d = 0; d < dim; d += kLanes) _mm256_stream_ps(dst + d, _mm256_loadu_ps(row + d));
    }
    _mm_sfence();
    return;
  }
  for (size_t i = begin; i < end; ++i) {
    if (i + kPrefetchDistance < n_ids) prefetch_block(table + size_t{ids[i + kPrefetchDistance]} * dim, dim);
    const float* row = table + size_t{ids[i]} * dim;
    float* dst = out + (i - begin) * dim;
    size_t d = 0;
    for (; d < full; d += kLanes) _mm256_storeu_ps(dst + d, _mm256_loadu_ps(row + d));
    if (d < dim) _mm256_maskstore_ps(dst + d, tail, _mm256_maskload_ps(row + d, tail));
  }
}

void axpy_f32_avx2(float a, const float* x, float* y, size_t n) {
  const __m256 va = _mm256_set1_ps(a);
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm256_storeu_ps(y + i, _mm256_fmadd_ps(va, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
  if (i < n) {
    const __m256i m = lane_mask(n - i);
    _mm256_maskstore_ps(y + i, m, _mm256_fmadd_ps(va, _mm256_maskload_ps(x + i, m), _mm256_maskload_ps(y + i, m)));
  }
}

// Optimizer rows: the formulas of core/embedding_optimizers.h, 8 lanes at a time, masked tail.
void sgd_row_f32_avx2(float* w, const float* g, size_t dim, const SparseOptimizerConfig& c) {
  const __m256 lr = _mm256_set1_ps(c.lr), wd = _mm256_set1_ps(c.weight_decay);
  for (size_t d = 0; d < dim; d += kLanes) {
    const __m256i m = lane_mask(dim - d);
    const __m256 x = _mm256_maskload_ps(w + d, m);
    const __m256 grad = _mm256_fmadd_ps(wd, x, _mm256_maskload_ps(g + d, m));
    _mm256_maskstore_ps(w + d, m, _mm256_fnmadd_ps(lr, grad, x));
  }
}

void adagrad_row_f32_avx2(float* w, const float* g, float* sum_sq, size_t dim, const SparseOptimizerConfig& c) {
  const __m256 lr = _mm256_set1_ps(c.lr), wd = _mm256_set1_ps(c.weight_decay), eps = _mm256_set1_ps(c.eps);
  for (size_t d = 0; d < dim; d += kLanes) {
    const __m256i m = lane_mask(dim - d);
    const __m256 x = _mm256_maskload_ps(w + d, m);
    const __m256 grad = _mm256_fmadd_ps(wd, x, _mm256_maskload_ps(g + d, m));
    const __m256 s = _mm256_fmadd_ps(grad, grad, _mm256_maskload_ps(sum_sq + d, m));
    _mm256_maskstore_ps(sum_sq + d, m, s);
    // Masked-off lanes hold s = 0: sqrt(0) + eps > 0, so the division is harmless there.
    const __m256 step = _mm256_div_ps(_mm256_mul_ps(lr, grad), _mm256_add_ps(_mm256_sqrt_ps(s), eps));
    _mm256_maskstore_ps(w + d, m, _mm256_sub_ps(x, step));
  }
}

void adam_row_f32_avx2(float* w, const float* g, float* mom, float* vel, size_t dim, const AdamCorrection& corr,
                       const SparseOptimizerConfig& c) {
  const __m256 wd = _mm256_set1_ps(c.weight_decay), eps = _mm256_set1_ps(c.eps);
  const __m256 b1 = _mm256_set1_ps(c.beta1), b2 = _mm256_set1_ps(c.beta2);
  const __m256 one_b1 = _mm256_set1_ps(1.f - c.beta1), one_b2 = _mm256_set1_ps(1.f - c.beta2);
  const __m256 step_size = _mm256_set1_ps(corr.step_size), inv_bc2 = _mm256_set1_ps(corr.inv_sqrt_bc2);
  for (size_t d = 0; d < dim; d += kLanes) {
    const __m256i m = lane_mask(dim - d);
    const __m256 x = _mm256_maskload_ps(w + d, m);
    const __m256 grad = _mm256_fmadd_ps(wd, x, _mm256_maskload_ps(g + d, m));
    const __m256 m1 = _mm256_fmadd_ps(b1, _mm256_maskload_ps(mom + d, m), _mm256_mul_ps(one_b1, grad));
    const __m256 v1 =
        _mm256_fmadd_ps(b2, _mm256_maskload_ps(vel + d, m), _mm256_mul_ps(_mm256_mul_ps(one_b2, grad), grad));
    _mm256_maskstore_ps(mom + d, m, m1);
    _mm256_maskstore_ps(vel + d, m, v1);
    const __m256 denom = _mm256_fmadd_ps(_mm256_sqrt_ps(v1), inv_bc2, eps);
    _mm256_maskstore_ps(w + d, m, _mm256_sub_ps(x, _mm256_div_ps(_mm256_mul_ps(step_size, m1), denom)));
  }
}

}  // namespace

EmbeddingKernels embedding_avx2() {
  return {gather_f32_avx2,  bag_sum_f32_avx2,     bag_max_f32_avx2, axpy_f32_avx2,
          sgd_row_f32_avx2, adagrad_row_f32_avx2, adam_row_f32_avx2};
}

}  // namespace reckit::cpu
