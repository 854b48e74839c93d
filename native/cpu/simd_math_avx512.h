// Vectorized activations for AVX-512 TUs (the GEMM epilogue): exp, tanh, sigmoid on 16 floats, following
// the scalar definitions in core/activations.h to within a few ulp. Include only from *_avx512.cpp files;
// everything is `static` so no AVX-512 copy of these functions can be linked into another path.
#pragma once
#include <immintrin.h>

#include "core/gemm.h"

namespace reckit::cpu::avx512_math {

// e^x: x = n·ln2 + r with |r| <= ln2/2, e^r by its degree-6 Taylor polynomial (truncation error
// |r|^7/7! < 1.2e-7 relative, about one ulp), then scaled by 2^n with vscalefps. ln2 is split into a
// short high part (355/512, exact in 9 bits so n·hi is exact) and the remainder, so r keeps full precision.
// Inputs are clamped to the finite range of the result (e^88.7 ~ FLT_MAX; below -87.3 the result is denormal);
// the constant goes first in min/max because they return their second operand on NaN, so NaN propagates.
static inline __m512 exp_ps(__m512 x) {
  x = _mm512_min_ps(_mm512_set1_ps(88.7f), _mm512_max_ps(_mm512_set1_ps(-87.3f), x));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440054690583e-4f), r);
  __m512 p = _mm512_set1_ps(1.f / 720.f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 120.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 24.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f / 6.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// sigmoid via e = e^-|x| (never overflows): 1/(1+e) for x >= 0, e/(1+e) for x < 0, accurate in both tails.
static inline __m512 sigmoid_ps(__m512 x) {
  const __m512 abs_x = _mm512_abs_ps(x);
  const __m512 e = exp_ps(_mm512_sub_ps(_mm512_setzero_ps(), abs_x));
  const __m512 s = _mm512_div_ps(_mm512_set1_ps(1.f), _mm512_add_ps(_mm512_set1_ps(1.f), e));
  const __mmask16 negative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ);
  return _mm512_mask_mul_ps(s, negative, s, e);
}

// tanh: for |x| < 0.2 the odd Taylor series to x^7 (next term 62/2835·x^9, < 6e-8 relative there), else
// 1 - 2/(e^{2|x|} + 1) with the sign restored; that form loses only absolute precision near 0, which the
// series covers. Saturates cleanly: e^{2|x|} clamps at FLT_MAX-ish, giving exactly 1.
static inline __m512 tanh_ps(__m512 x) {
  const __m512 abs_x = _mm512_abs_ps(x);
  const __m512 e = exp_ps(_mm512_add_ps(abs_x, abs_x));
  __m512 big = _mm512_sub_ps(_mm512_set1_ps(1.f),
                             _mm512_div_ps(_mm512_set1_ps(2.f), _mm512_add_ps(e, _mm512_set1_ps(1.f))));
  const __m512 x2 = _mm512_mul_ps(x, x);
  __m512 q = _mm512_set1_ps(-17.f / 315.f);
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(2.f / 15.f));
  q = _mm512_fmadd_ps(q, x2, _mm512_set1_ps(-1.f / 3.f));
  const __m512 small = _mm512_fmadd_ps(_mm512_mul_ps(q, x2), x, x);
  // copy the sign of x onto `big` (bit 31)
  big = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(big),
                                            _mm512_and_si512(_mm512_castps_si512(x), _mm512_set1_epi32(INT32_MIN))));
  const __mmask16 is_small = _mm512_cmp_ps_mask(abs_x, _mm512_set1_ps(0.2f), _CMP_LT_OQ);
  return _mm512_mask_blend_ps(is_small, big, small);
}

// act(v) with the same NaN behaviour as the scalar definitions (relu(NaN) = 0, the others propagate NaN).
static inline __m512 activate(__m512 v, Activation act, float slope) {
  switch (act) {
    case Activation::Linear: return v;
    case Activation::Relu: return _mm512_max_ps(v, _mm512_setzero_ps());  // max returns the 2nd operand on NaN
    case Activation::LeakyRelu: {
      const __mmask16 positive = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_GT_OQ);
      return _mm512_mask_blend_ps(positive, _mm512_mul_ps(v, _mm512_set1_ps(slope)), v);
    }
    case Activation::Tanh: return tanh_ps(v);
    case Activation::Sigmoid: return sigmoid_ps(v);
  }
  return v;
}

}  // namespace reckit::cpu::avx512_math
