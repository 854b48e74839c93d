// AVX-512 optimizer ops: Adam 16 lanes at a time, masked tail. Mirrors adam_update operation by
// operation (mul/add, not FMA) so the result equals the portable path bit for bit.
#include <immintrin.h>

#include "cpu/optimizer_ops.h"

// Keep mul and add separate (GCC would fuse them into FMA), so every ISA rounds like the portable path.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace reckit::cpu {
namespace {

void adam_f32_avx512(const AdamStep& s, float* p, const float* g, float* m, float* v, size_t n) {
  const __m512 wd = _mm512_set1_ps(s.weight_decay), b1 = _mm512_set1_ps(s.beta1), b2 = _mm512_set1_ps(s.beta2);
  const __m512 one_b1 = _mm512_set1_ps(1.f - s.beta1), one_b2 = _mm512_set1_ps(1.f - s.beta2);
  const __m512 step = _mm512_set1_ps(s.step_size), isc2 = _mm512_set1_ps(s.inv_sqrt_corr2), eps = _mm512_set1_ps(s.eps);
  for (size_t i = 0; i < n; i += 16) {
    const __mmask16 k = n - i >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1u);
    const __m512 pv = _mm512_maskz_loadu_ps(k, p + i);
    const __m512 gv = _mm512_add_ps(_mm512_maskz_loadu_ps(k, g + i), _mm512_mul_ps(wd, pv));
    const __m512 mv = _mm512_add_ps(_mm512_mul_ps(b1, _mm512_maskz_loadu_ps(k, m + i)), _mm512_mul_ps(one_b1, gv));
    const __m512 vv = _mm512_add_ps(_mm512_mul_ps(b2, _mm512_maskz_loadu_ps(k, v + i)),
                                    _mm512_mul_ps(_mm512_mul_ps(one_b2, gv), gv));
    const __m512 denom = _mm512_add_ps(_mm512_mul_ps(_mm512_sqrt_ps(vv), isc2), eps);
    const __m512 pn = _mm512_sub_ps(pv, _mm512_div_ps(_mm512_mul_ps(step, mv), denom));
    _mm512_mask_storeu_ps(m + i, k, mv);
    _mm512_mask_storeu_ps(v + i, k, vv);
    _mm512_mask_storeu_ps(p + i, k, pn);
  }
}

}  // namespace

OptimizerOps optimizer_ops_avx512() { return OptimizerOps{adam_f32_avx512}; }

}  // namespace reckit::cpu
