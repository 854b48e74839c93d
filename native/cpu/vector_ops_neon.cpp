// NEON vector ops for arm64 (compiled only there; Advanced SIMD is baseline on AArch64).
#include <arm_neon.h>

#include "cpu/vector_ops.h"

namespace reckit::cpu {
namespace {

float dot_f32_neon(const float* a, const float* b, size_t n) {
  float32x4_t acc0 = vdupq_n_f32(0.f), acc1 = vdupq_n_f32(0.f);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    acc0 = vfmaq_f32(acc0, vld1q_f32(a + i), vld1q_f32(b + i));
    acc1 = vfmaq_f32(acc1, vld1q_f32(a + i + 4), vld1q_f32(b + i + 4));
  }
  float total = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; i < n; ++i) total += a[i] * b[i];
  return total;
}

float l2sq_f32_neon(const float* a, const float* b, size_t n) {
  float32x4_t acc = vdupq_n_f32(0.f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const float32x4_t d = vsubq_f32(vld1q_f32(a + i), vld1q_f32(b + i));
    acc = vfmaq_f32(acc, d, d);
  }
  float total = vaddvq_f32(acc);
  for (; i < n; ++i) total += (a[i] - b[i]) * (a[i] - b[i]);
  return total;
}

float sumsq_f32_neon(const float* a, size_t n) { return dot_f32_neon(a, a, n); }

}  // namespace

VectorOps vector_ops_neon() { return {dot_f32_neon, l2sq_f32_neon, sumsq_f32_neon}; }

}  // namespace reckit::cpu
