// AVX-512 throughput probe: 12 independent 16-lane FMA chains.
#include <immintrin.h>

#include "cpu/probe.h"

namespace reckit::cpu {
namespace {

double fma_loop_avx512(size_t iterations, float* sink) {
  constexpr int kChains = 12;
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(1.0f + 0.001f * static_cast<float>(c));
  const __m512 mul = _mm512_set1_ps(0.999999f), add = _mm512_set1_ps(1e-7f);
  for (size_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], mul, add);
  }
  __m512 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm512_add_ps(total, acc[c]);
  float lanes[16];
  _mm512_storeu_ps(lanes, total);
  *sink = lanes[0] + lanes[15];
  return 2.0 * 16 * kChains * static_cast<double>(iterations);
}

}  // namespace

ProbeOps probe_ops_avx512() { return {fma_loop_avx512}; }

}  // namespace reckit::cpu
