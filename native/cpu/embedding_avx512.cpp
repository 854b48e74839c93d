// AVX-512 embedding kernels. A bag's pooled row is built 64 floats (four zmm accumulators) at a time
// across all of its ids, so each table row is read once per block and the output written once; the
// last vector of a block uses masked loads/stores, which never touch lanes past the row.
// Only called after cpuid + XCR0 confirm AVX-512; everything here has internal linkage, and the shared
// inline formulas of core/embedding_optimizers.h are never called here (ODR: no AVX-512 copy may exist).
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "cpu/embedding.h"

namespace reckit::cpu {
namespace {

constexpr size_t kLanes = 16;
constexpr size_t kBlock = 64;             // floats per register block (4 zmm)
constexpr size_t kStreamingBytes = size_t{8} << 20;  // gathers at least this large use streaming stores
constexpr size_t kPrefetchDistance = 16;  // ids ahead whose rows are prefetched (~64 lines at dim 64)

inline __mmask16 lane_mask(size_t count) {
  return count >= kLanes ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1u);
}

// Prefetches floats [d0, d0 + width) of a row: one hint per 64-byte line.
inline void prefetch_block(const float* row, size_t width) {
  for (size_t off = 0; off < width; off += 16) _mm_prefetch(reinterpret_cast<const char*>(row + off), _MM_HINT_T0);
}

struct BlockMasks {
  __mmask16 m[4];
};

inline BlockMasks masks_for(size_t width) {
  BlockMasks k;
  for (size_t v = 0; v < 4; ++v) k.m[v] = lane_mask(width > v * kLanes ? width - v * kLanes : 0);
  return k;
}

// One block of NV vectors (the last masked) of one bag: sum (or max) over its ids.
template <int NV, bool kMax>
inline void bag_block(const BagProblem& p, size_t first, size_t last, size_t d0, const BlockMasks& k, float scale,
                      float* out) {
  __m512 acc[NV];
  const size_t width = std::min(kBlock, p.dim - d0);
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) acc[v] = kMax ? _mm512_set1_ps(-__builtin_inff()) : _mm512_setzero_ps();
  for (size_t i = first; i < last; ++i) {
    if (i + kPrefetchDistance < p.n_ids) prefetch_block(p.table + size_t{p.ids[i + kPrefetchDistance]} * p.dim + d0, width);
    const float* row = p.table + size_t{p.ids[i]} * p.dim + d0;
    const __m512 w = _mm512_set1_ps(p.weights ? p.weights[i] : 1.f);
#pragma GCC unroll 8
    for (int v = 0; v < NV; ++v) {
      const __m512 x = v + 1 < NV ? _mm512_loadu_ps(row + v * kLanes) : _mm512_maskz_loadu_ps(k.m[v], row + v * kLanes);
      acc[v] = kMax ? _mm512_max_ps(acc[v], _mm512_mul_ps(w, x)) : _mm512_fmadd_ps(w, x, acc[v]);
    }
  }
  const __m512 s = _mm512_set1_ps(scale);
#pragma GCC unroll 8
  for (int v = 0; v < NV; ++v) {
    __m512 r = kMax ? acc[v] : _mm512_mul_ps(acc[v], s);
    if (first == last) r = _mm512_setzero_ps();
    _mm512_mask_storeu_ps(out + d0 + v * kLanes, k.m[v], r);
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
      const BlockMasks k = masks_for(width);
      switch ((width + kLanes - 1) / kLanes) {
        case 1: bag_block<1, kMax>(p, first, last, d0, k, scale, out); break;
        case 2: bag_block<2, kMax>(p, first, last, d0, k, scale, out); break;
        case 3: bag_block<3, kMax>(p, first, last, d0, k, scale, out); break;
        default: bag_block<4, kMax>(p, first, last, d0, k, scale, out); break;
      }
    }
  }
}

void bag_sum_f32_avx512(const BagProblem& p, size_t begin, size_t end, bool mean) { bag_pool<false>(p, begin, end, mean); }
void bag_max_f32_avx512(const BagProblem& p, size_t begin, size_t end) { bag_pool<true>(p, begin, end, false); }

void gather_f32_avx512(const float* table, size_t dim, const uint32_t* ids, size_t n_ids, size_t begin, size_t end,
                       float* out) {
  const __mmask16 tail = lane_mask(dim % kLanes);
  const size_t full = dim - dim % kLanes;
  // A large result is not read back soon: streaming stores skip the read-for-ownership of every output
  // line, a third of the traffic. Only for whole 64-byte rows at 64-byte aligned destinations.
  if (n_ids * dim * sizeof(float) >= kStreamingBytes && dim % kLanes == 0 &&
      reinterpret_cast<uintptr_t>(out) % 64 == 0) {
    for (size_t i = begin; i < end; ++i) {
      if (i + kPrefetchDistance < n_ids) prefetch_block(table + size_t{ids[i + kPrefetchDistance]} * dim, dim);
      const float* row = table + size_t{ids[i]} * dim;
      float* dst = out + (i - begin) * dim;
      for (size_t d = 0; d < dim; d += kLanes) _mm512_stream_ps(dst + d, _mm512_loadu_ps(row + d));
    }
    _mm_sfence();  // order the streaming stores before the pool's completion signal
    return;
  }
  for (size_t i = begin; i < end; ++i) {
    if (i + kPrefetchDistance < n_ids) prefetch_block(table + size_t{ids[i + kPrefetchDistance]} * dim, dim);
    const float* row = table + size_t{ids[i]} * dim;
    float* dst = out + (i - begin) * dim;
    size_t d = 0;
    for (; d < full; d += kLanes) _mm512_storeu_ps(dst + d, _mm512_loadu_ps(row + d));
    if (d < dim) _mm512_mask_storeu_ps(dst + d, tail, _mm512_maskz_loadu_ps(tail, row + d));
  }
}

void axpy_f32_avx512(float a, const float* x, float* y, size_t n) {
  const __m512 va = _mm512_set1_ps(a);
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) _mm512_storeu_ps(y + i, _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
  if (i < n) {
    const __mmask16 m = lane_mask(n - i);
    _mm512_mask_storeu_ps(y + i, m, _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i)));
  }
}

// Optimizer rows: the formulas of core/embedding_optimizers.h, 16 lanes at a time, masked tail.
void sgd_row_f32_avx512(float* w, const float* g, size_t dim, const SparseOptimizerConfig& c) {
  const __m512 lr = _mm512_set1_ps(c.lr), wd = _mm512_set1_ps(c.weight_decay);
  for (size_t d = 0; d < dim; d += kLanes) {
    const __mmask16 m = lane_mask(dim - d);
    const __m512 x = _mm512_maskz_loadu_ps(m, w + d);
    const __m512 grad = _mm512_fmadd_ps(wd, x, _mm512_maskz_loadu_ps(m, g + d));
    _mm512_mask_storeu_ps(w + d, m, _mm512_fnmadd_ps(lr, grad, x));
  }
}

void adagrad_row_f32_avx512(float* w, const float* g, float* sum_sq, size_t dim, const SparseOptimizerConfig& c) {
  const __m512 lr = _mm512_set1_ps(c.lr), wd = _mm512_set1_ps(c.weight_decay), eps = _mm512_set1_ps(c.eps);
  for (size_t d = 0; d < dim; d += kLanes) {
    const __mmask16 m = lane_mask(dim - d);
    const __m512 x = _mm512_maskz_loadu_ps(m, w + d);
    const __m512 grad = _mm512_fmadd_ps(wd, x, _mm512_maskz_loadu_ps(m, g + d));
    const __m512 s = _mm512_fmadd_ps(grad, grad, _mm512_maskz_loadu_ps(m, sum_sq + d));
    _mm512_mask_storeu_ps(sum_sq + d, m, s);
    const __m512 step = _mm512_div_ps(_mm512_mul_ps(lr, grad), _mm512_add_ps(_mm512_sqrt_ps(s), eps));
    _mm512_mask_storeu_ps(w + d, m, _mm512_sub_ps(x, step));
  }
}

void adam_row_f32_avx512(float* w, const float* g, float* mom, float* vel, size_t dim, const AdamCorrection& corr,
                         const SparseOptimizerConfig& c) {
  const __m512 wd = _mm512_set1_ps(c.weight_decay), eps = _mm512_set1_ps(c.eps);
  const __m512 b1 = _mm512_set1_ps(c.beta1), b2 = _mm512_set1_ps(c.beta2);
  const __m512 one_b1 = _mm512_set1_ps(1.f - c.beta1), one_b2 = _mm512_set1_ps(1.f - c.beta2);
  const __m512 step_size = _mm512_set1_ps(corr.step_size), inv_bc2 = _mm512_set1_ps(corr.inv_sqrt_bc2);
  for (size_t d = 0; d < dim; d += kLanes) {
    const __mmask16 m = lane_mask(dim - d);
    const __m512 x = _mm512_maskz_loadu_ps(m, w + d);
    const __m512 grad = _mm512_fmadd_ps(wd, x, _mm512_maskz_loadu_ps(m, g + d));
    const __m512 m1 = _mm512_fmadd_ps(b1, _mm512_maskz_loadu_ps(m, mom + d), _mm512_mul_ps(one_b1, grad));
    const __m512 v1 =
        _mm512_fmadd_ps(b2, _mm512_maskz_loadu_ps(m, vel + d), _mm512_mul_ps(_mm512_mul_ps(one_b2, grad), grad));
    _mm512_mask_storeu_ps(mom + d, m, m1);
    _mm512_mask_storeu_ps(vel + d, m, v1);
    const __m512 denom = _mm512_fmadd_ps(_mm512_sqrt_ps(v1), inv_bc2, eps);
    _mm512_mask_storeu_ps(w + d, m, _mm512_sub_ps(x, _mm512_div_ps(_mm512_mul_ps(step_size, m1), denom)));
  }
}

}  // namespace

EmbeddingKernels embedding_avx512() {
  return {gather_f32_avx512,  bag_sum_f32_avx512,     bag_max_f32_avx512, axpy_f32_avx512,
          sgd_row_f32_avx512, adagrad_row_f32_avx512, adam_row_f32_avx512};
}

}  // namespace reckit::cpu
