// Portable optimizer ops: the scalar adam_update of core/optimizers.h, the reference for the SIMD paths.
#include "cpu/optimizer_ops.h"

namespace reckit::cpu {
namespace {

void adam_f32_portable(const AdamStep& s, float* p, const float* g, float* m, float* v, size_t n) {
  for (size_t i = 0; i < n; ++i) adam_update(s, &p[i], g[i], &m[i], &v[i]);
}

}  // namespace

OptimizerOps optimizer_ops_portable() { return OptimizerOps{adam_f32_portable}; }

}  // namespace reckit::cpu
