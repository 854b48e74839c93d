// AVX2+FMA throughput probe: 12 independent 8-lane FMA chains (enough to cover FMA latency × ports).
#include <immintrin.h>

#include "cpu/probe.h"

namespace reckit::cpu {
namespace {

double fma_loop_avx2(size_t iterations, float* sink) {
  constexpr int kChains = 12;
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(1.0f + 0.001f * static_cast<float>(c));
  const __m256 mul = _mm256_set1_ps(0.999999f), add = _mm256_set1_ps(1e-7f);
  for (size_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], mul, add);
  }
  __m256 total = acc[0];
  for (int c = 1; c < kChains; ++c) total = _mm256_add_ps(total, acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, total);
  *sink = lanes[0] + lanes[7];
  return 2.0 * 8 * kChains * static_cast<double>(iterations);
}

}  // namespace

ProbeOps probe_ops_avx2() { return {fma_loop_avx2}; }

}  // namespace reckit::cpu
