// Vectorized activations for AVX2+FMA TUs (the GEMM epilogue): exp, tanh, sigmoid on 8 floats, the same
// formulas as simd_math_avx512.h. Include only from *_avx2.cpp files; everything is `static` (ODR).
#pragma once
#include <immintrin.h>

#include <cstdint>

#include "core/gemm.h"

namespace reckit::cpu::avx2_math {

// e^x as in avx512_math::exp_ps; 2^n is built in the exponent field, so x is clamped to [-87, 88.3]
// where n stays within [-126, 127] (constants first in min/max so NaN propagates).
static inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_set1_ps(88.3f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440054690583e-4f), r);
  __m256 p = _mm256_set1_ps(1.f / 720.f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 120.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 24.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f / 6.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

static inline __m256 sigmoid_ps(__m256 x) {
  const __m256 sign_bit = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
  const __m256 abs_x = _mm256_andnot_ps(sign_bit, x);
  const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), abs_x));
  const __m256 s = _mm256_div_ps(_mm256_set1_ps(1.f), _mm256_add_ps(_mm256_set1_ps(1.f), e));
  const __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
  return _mm256_blendv_ps(s, _mm256_mul_ps(s, e), negative);
}

static inline __m256 tanh_ps(__m256 x) {
  const __m256 sign_bit = _mm256_castsi256_ps(_mm256_set1_epi32(INT32_MIN));
  const __m256 abs_x = _mm256_andnot_ps(sign_bit, x);
  const __m256 e = exp_ps(_mm256_add_ps(abs_x, abs_x));
  __m256 big = _mm256_sub_ps(_mm256_set1_ps(1.f),
                             _mm256_div_ps(_mm256_set1_ps(2.f), _mm256_add_ps(e, _mm256_set1_ps(1.f))));
  big = _mm256_or_ps(big, _mm256_and_ps(x, sign_bit));
  const __m256 x2 = _mm256_mul_ps(x, x);
  __m256 q = _mm256_set1_ps(-17.f / 315.f);
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(2.f / 15.f));
  q = _mm256_fmadd_ps(q, x2, _mm256_set1_ps(-1.f / 3.f));
  const __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(q, x2), x, x);
  return _mm256_blendv_ps(big, small, _mm256_cmp_ps(abs_x, _mm256_set1_ps(0.2f), _CMP_LT_OQ));
}

static inline __m256 activate(__m256 v, Activation act, float slope) {
  switch (act) {
    case Activation::Linear: return v;
    case Activation::Relu: return _mm256_max_ps(v, _mm256_setzero_ps());  // NaN -> 0, like x > 0 ? x : 0
    case Activation::LeakyRelu:
      return _mm256_blendv_ps(_mm256_mul_ps(v, _mm256_set1_ps(slope)), v,
                              _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GT_OQ));
    case Activation::Tanh: return tanh_ps(v);
    case Activation::Sigmoid: return sigmoid_ps(v);
  }
  return v;
}

}  // namespace reckit::cpu::avx2_math
