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

// One row: even and odd 8-lane chunks in two accumulators, then one horizontal sum; two rows per
// iteration for memory-level parallelism (each row's order is unchanged).
#define RECKIT_ROW_LOOP(LOAD, ROWS, OUT_EXPR)                                                       \
  size_t j = 0;                                                                                     \
  for (; j + 2 <= n; j += 2) {                                                                      \
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), b0 = _mm256_setzero_ps(),           \
           b1 = _mm256_setzero_ps();                                                                \
    const auto* x0 = ROWS + j * dp;                                                                 \
    const auto* x1 = x0 + dp;                                                                       \
    for (size_t i = 0; i < dp; i += 16) {                                                           \
      const __m256 q0 = _mm256_loadu_ps(q + i), q1 = _mm256_loadu_ps(q + i + 8);                    \
      a0 = _mm256_fmadd_ps(q0, LOAD(x0 + i), a0);                                                   \
      a1 = _mm256_fmadd_ps(q1, LOAD(x0 + i + 8), a1);                                               \
      b0 = _mm256_fmadd_ps(q0, LOAD(x1 + i), b0);                                                   \
      b1 = _mm256_fmadd_ps(q1, LOAD(x1 + i + 8), b1);                                               \
    }                                                                                               \
    { const size_t r = j;     const float s = hsum256(_mm256_add_ps(a0, a1)); out[r] = OUT_EXPR; }  \
    { const size_t r = j + 1; const float s = hsum256(_mm256_add_ps(b0, b1)); out[r] = OUT_EXPR; }  \
  }                                                                                                 \
  for (; j < n; ++j) {                                                                              \
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();                                     \
    const auto* x0 = ROWS + j * dp;                                                                 \
    for (size_t i = 0; i < dp; i += 16) {                                                           \
      a0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), LOAD(x0 + i), a0);                               \
      a1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), LOAD(x0 + i + 8), a1);                       \
    }                                                                                               \
    { const size_t r = j; const float s = hsum256(_mm256_add_ps(a0, a1)); out[r] = OUT_EXPR; }      \
  }

void score_f32_avx2(const float* q, const float* rows, size_t n, size_t dp, float* out) {
  RECKIT_ROW_LOOP(_mm256_loadu_ps, rows, s)
}
void score_bf16_avx2(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  RECKIT_ROW_LOOP(load_bf16, rows, s)
}
void score_f16_avx2(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  RECKIT_ROW_LOOP(load_f16, rows, s)
}
void score_i8_avx2(const float* q, const int8_t* rows, const float* scales, size_t n, size_t dp, float* out) {
  RECKIT_ROW_LOOP(load_i8, rows, scales[r] * s)
}
#undef RECKIT_ROW_LOOP

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
