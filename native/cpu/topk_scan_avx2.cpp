// AVX2 + FMA (+ F16C) topk-scan kernels. Compiled with -mavx2 -mfma -mf16c; only called after cpuid
// says yes. Rows are padded to a multiple of 16 elements: two full 8-lane vectors per step, no tails.
#include <immintrin.h>

#include "cpu/topk_scan.h"

namespace reckit::cpu {
namespace {

inline float hsum256(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256 load_bf16(const uint16_t* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}
inline __m256 load_f16(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 load_i8(const int8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

// Rows are streamed strictly one after another (one sequential stream for the hardware prefetcher).
// Each row's order is fixed: 8-lane chunk c goes to accumulator c % 4, then one horizontal sum.
template <typename Load, typename T>
inline float dot_row(const float* q, const T* x, size_t dp, Load load) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 32 <= dp; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load(x + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), load(x + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), load(x + i + 24), a3);
  }
  if (i < dp) {  // dp is a multiple of 16: one pair of chunks left
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), load(x + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), load(x + i + 8), a1);
  }
  return hsum256(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
}

void score_f32_avx2(const float* q, const float* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = dot_row(q, rows + j * dp, dp, [](const float* p) { return _mm256_loadu_ps(p); });
}
void score_bf16_avx2(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = dot_row(q, rows + j * dp, dp, load_bf16);
}
void score_f16_avx2(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = dot_row(q, rows + j * dp, dp, load_f16);
}
void score_i8_avx2(const float* q, const int8_t* rows, const float* scales, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) out[j] = scales[j] * dot_row(q, rows + j * dp, dp, load_i8);
}

void decode_bf16_avx2(const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t i = 0; i < n * dp; i += 8) _mm256_storeu_ps(out + i, load_bf16(rows + i));
}
void decode_f16_avx2(const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t i = 0; i < n * dp; i += 8) _mm256_storeu_ps(out + i, load_f16(rows + i));
}
void decode_i8_avx2(const int8_t* rows, const float* scales, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const __m256 s = _mm256_set1_ps(scales[j]);
    for (size_t i = 0; i < dp; i += 8) _mm256_storeu_ps(out + j * dp + i, _mm256_mul_ps(s, load_i8(rows + j * dp + i)));
  }
}

// Register block: R rows x 16 queries (one half of the 32-query pack) in 2R accumulators.
template <int R>
inline void half_block(const float* qpack, const float* rows, size_t dp, float* out) {
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) acc0[r] = acc1[r] = _mm256_setzero_ps();
  for (size_t k = 0; k < dp; ++k) {
    const __m256 q0 = _mm256_load_ps(qpack + k * 32), q1 = _mm256_load_ps(qpack + k * 32 + 8);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 b = _mm256_broadcast_ss(rows + r * dp + k);
      acc0[r] = _mm256_fmadd_ps(q0, b, acc0[r]);
      acc1[r] = _mm256_fmadd_ps(q1, b, acc1[r]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    _mm256_storeu_ps(out + r * 32, acc0[r]);
    _mm256_storeu_ps(out + r * 32 + 8, acc1[r]);
  }
}

constexpr int kRowsPerBlock = 6;  // 12 accumulators + 2 query vectors + 1 broadcast of 16 ymm

void score_block_f32_avx2(const float* qpack, const float* rows, size_t n, size_t dp, const float* lo, float* out,
                          uint32_t* hits) {
  for (size_t half = 0; half < 2; ++half) {
    size_t j = 0;
    for (; j + kRowsPerBlock <= n; j += kRowsPerBlock) {
      half_block<kRowsPerBlock>(qpack + half * 16, rows + j * dp, dp, out + j * 32 + half * 16);
    }
    for (; j < n; ++j) half_block<1>(qpack + half * 16, rows + j * dp, dp, out + j * 32 + half * 16);
  }
  const __m256 l0 = _mm256_loadu_ps(lo), l1 = _mm256_loadu_ps(lo + 8), l2 = _mm256_loadu_ps(lo + 16),
               l3 = _mm256_loadu_ps(lo + 24);
  for (size_t j = 0; j < n; ++j) {
    const float* o = out + j * 32;
    const uint32_t m0 = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(o), l0, _CMP_GE_OQ)));
    const uint32_t m1 = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(o + 8), l1, _CMP_GE_OQ)));
    const uint32_t m2 = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(o + 16), l2, _CMP_GE_OQ)));
    const uint32_t m3 = static_cast<uint32_t>(_mm256_movemask_ps(_mm256_cmp_ps(_mm256_loadu_ps(o + 24), l3, _CMP_GE_OQ)));
    hits[j] = m0 | (m1 << 8) | (m2 << 16) | (m3 << 24);
  }
}

}  // namespace

TopkScan topk_scan_avx2() {
  return {score_f32_avx2,   score_bf16_avx2,  score_f16_avx2, score_i8_avx2,
          decode_bf16_avx2, decode_f16_avx2,  decode_i8_avx2, score_block_f32_avx2};
}

}  // namespace reckit::cpu
