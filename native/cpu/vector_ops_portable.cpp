// Portable vector ops: plain C++ with independent accumulators so any compiler can vectorise them
// for the baseline ISA (SSE2 on x86-64, NEON on arm64) without -ffast-math.
#include "cpu/vector_ops.h"

namespace reckit::cpu {
namespace {

constexpr size_t kLanes = 8;

float dot_f32_portable(const float* a, const float* b, size_t n) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  }
  float total = 0.f;
  for (; i < n; ++i) total += a[i] * b[i];
  for (size_t l = 0; l < kLanes; ++l) total += acc[l];
  return total;
}

float l2sq_f32_portable(const float* a, const float* b, size_t n) {
  float acc[kLanes] = {};
  size_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) {
      const float d = a[i + l] - b[i + l];
      acc[l] += d * d;
    }
  }
  float total = 0.f;
  for (; i < n; ++i) total += (a[i] - b[i]) * (a[i] - b[i]);
  for (size_t l = 0; l < kLanes; ++l) total += acc[l];
  return total;
}

float sumsq_f32_portable(const float* a, size_t n) { return dot_f32_portable(a, a, n); }

}  // namespace

VectorOps vector_ops_portable() { return {dot_f32_portable, l2sq_f32_portable, sumsq_f32_portable}; }

}  // namespace reckit::cpu
