// AVX-512 topk-scan kernels (F/BW/VL + F16C). Compiled with -mavx512f…; only called after cpuid + XCR0
// say yes. Rows are padded to a multiple of 16 elements, so every load is a full vector.
#include <immintrin.h>

#include "cpu/topk_scan.h"

namespace reckit::cpu {
namespace {

inline float hsum512(__m512 v) {
  const __m512 swapped = _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2));
  const __m256 halves = _mm512_castps512_ps256(_mm512_add_ps(v, swapped));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(halves), _mm256_extractf128_ps(halves, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m512 load_bf16(const uint16_t* p) {
  const __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}
inline __m512 load_f16(const uint16_t* p) {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline __m512 load_i8(const int8_t* p) {
  return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
}

// Rows are streamed strictly one after another, which keeps the hardware prefetcher on a single
// sequential stream (interleaving several rows measured at half the read bandwidth on f32 matrices).
// Each row's order is fixed: 16-lane chunk c goes to accumulator c % 4, then one horizontal sum.
template <typename Load, typename T>
inline float dot_row(const float* q, const T* x, size_t dp, Load load) {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
  size_t i = 0;
  for (; i + 64 <= dp; i += 64) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), load(x + i), a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), load(x + i + 16), a1);
    a2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 32), load(x + i + 32), a2);
    a3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 48), load(x + i + 48), a3);
  }
  if (i + 32 <= dp) {
    a0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), load(x + i), a0);
    a1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), load(x + i + 16), a1);
    i += 32;
  }
  if (i < dp) a2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), load(x + i), a2);
  return hsum512(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)));
}

void score_f32_avx512(const float* q, const float* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = dot_row(q, rows + j * dp, dp, [](const float* p) { return _mm512_loadu_ps(p); });
}
void score_bf16_avx512(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = dot_row(q, rows + j * dp, dp, load_bf16);
}
void score_f16_avx512(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = dot_row(q, rows + j * dp, dp, load_f16);
}
void score_i8_avx512(const float* q, const int8_t* rows, const float* scales, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = scales[j] * dot_row(q, rows + j * dp, dp, load_i8);
}

void decode_bf16_avx512(const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t i = 0; i < n * dp; i += 16) _mm512_storeu_ps(out + i, load_bf16(rows + i));
}
void decode_f16_avx512(const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t i = 0; i < n * dp; i += 16) _mm512_storeu_ps(out + i, load_f16(rows + i));
}
void decode_i8_avx512(const int8_t* rows, const float* scales, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const __m512 s = _mm512_set1_ps(scales[j]);
    for (size_t i = 0; i < dp; i += 16) _mm512_storeu_ps(out + j * dp + i, _mm512_mul_ps(s, load_i8(rows + j * dp + i)));
  }
}

// Register block: R rows x 32 queries in 2R accumulators; each k step loads two query vectors and
// broadcasts one element per row. A (query, row) score is the same FMA chain over k for any R.
template <int R>
inline void block_rows(const float* qpack, const float* rows, size_t dp, __m512 lo0, __m512 lo1, float* out,
                       uint32_t* hits) {
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm512_setzero_ps();
  for (size_t k = 0; k < dp; ++k) {
    const __m512 q0 = _mm512_load_ps(qpack + k * 32), q1 = _mm512_load_ps(qpack + k * 32 + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 b = _mm512_set1_ps(rows[r * dp + k]);
      acc0[r] = _mm512_fmadd_ps(q0, b, acc0[r]);
      acc1[r] = _mm512_fmadd_ps(q1, b, acc1[r]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    _mm512_storeu_ps(out + r * 32, acc0[r]);
    _mm512_storeu_ps(out + r * 32 + 16, acc1[r]);
    const uint32_t m0 = _mm512_cmp_ps_mask(acc0[r], lo0, _CMP_GE_OQ);
    const uint32_t m1 = _mm512_cmp_ps_mask(acc1[r], lo1, _CMP_GE_OQ);
    hits[r] = m0 | (m1 << 16);
  }
}

constexpr int kRowsPerBlock = 12;  // 24 accumulators + 2 query vectors + 1 broadcast of 32 zmm

void score_block_f32_avx512(const float* qpack, const float* rows, size_t n, size_t dp, const float* lo, float* out,
                            uint32_t* hits) {
  const __m512 lo0 = _mm512_loadu_ps(lo), lo1 = _mm512_loadu_ps(lo + 16);
  size_t j = 0;
  for (; j + kRowsPerBlock <= n; j += kRowsPerBlock) {
    block_rows<kRowsPerBlock>(qpack, rows + j * dp, dp, lo0, lo1, out + j * 32, hits + j);
  }
  for (; j + 4 <= n; j += 4) block_rows<4>(qpack, rows + j * dp, dp, lo0, lo1, out + j * 32, hits + j);
  for (; j < n; ++j) block_rows<1>(qpack, rows + j * dp, dp, lo0, lo1, out + j * 32, hits + j);
}

}  // namespace

TopkScan topk_scan_avx512() {
  return {score_f32_avx512,   score_bf16_avx512,  score_f16_avx512, score_i8_avx512,
          decode_bf16_avx512, decode_f16_avx512,  decode_i8_avx512, score_block_f32_avx512};
}

}  // namespace reckit::cpu
