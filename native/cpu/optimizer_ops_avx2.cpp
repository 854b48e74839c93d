// AVX2 optimizer ops: Adam 8 lanes at a time, masked tail. Mirrors adam_update operation by operation
// (mul/add, not FMA) so the result equals the portable path bit for bit.
#include <immintrin.h>

#include <cstdint>

#include "cpu/optimizer_ops.h"

// Keep mul and add separate (GCC would fuse them into FMA), so every ISA rounds like the portable path.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")
#endif

namespace reckit::cpu {
namespace {

inline __m256i tail_mask(size_t count) {
  alignas(32) static const int32_t ramp[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(count)), _mm256_load_si256(reinterpret_cast<const __m256i*>(ramp)));
}

void adam_f32_avx2(const AdamStep& s, float* p, const float* g, float* m, float* v, size_t n) {
  const __m256 wd = _mm256_set1_ps(s.weight_decay), b1 = _mm256_set1_ps(s.beta1), b2 = _mm256_set1_ps(s.beta2);
  const __m256 one_b1 = _mm256_set1_ps(1.f - s.beta1), one_b2 = _mm256_set1_ps(1.f - s.beta2);
  const __m256 step = _mm256_set1_ps(s.step_size), isc2 = _mm256_set1_ps(s.inv_sqrt_corr2), eps = _mm256_set1_ps(s.eps);
  for (size_t i = 0; i < n; i += 8) {
    const __m256i k = tail_mask(n - i >= 8 ? 8 : n - i);
    const __m256 pv = _mm256_maskload_ps(p + i, k);
    const __m256 gv = _mm256_add_ps(_mm256_maskload_ps(g + i, k), _mm256_mul_ps(wd, pv));
    const __m256 mv = _mm256_add_ps(_mm256_mul_ps(b1, _mm256_maskload_ps(m + i, k)), _mm256_mul_ps(one_b1, gv));
    const __m256 vv = _mm256_add_ps(_mm256_mul_ps(b2, _mm256_maskload_ps(v + i, k)), _mm256_mul_ps(_mm256_mul_ps(one_b2, gv), gv));
    const __m256 denom = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vv), isc2), eps);
    const __m256 pn = _mm256_sub_ps(pv, _mm256_div_ps(_mm256_mul_ps(step, mv), denom));
    _mm256_maskstore_ps(m + i, k, mv);
    _mm256_maskstore_ps(v + i, k, vv);
    _mm256_maskstore_ps(p + i, k, pn);
  }
}

}  // namespace

OptimizerOps optimizer_ops_avx2() { return OptimizerOps{adam_f32_avx2}; }

}  // namespace reckit::cpu
