// Kernel family "optimizer ops": the Adam update over a parameter range, per ISA. Every path uses the
// same operations in the same order as core/optimizers.h's adam_update (no FMA contraction, IEEE sqrt
// and division), so all ISAs produce bit-identical parameters; the portable one is that function.
#pragma once
#include <cstddef>

#include "core/optimizers.h"

namespace reckit::cpu {

struct OptimizerOps {
  // p, m, v updated in place from gradients g over n elements.
  void (*adam_f32)(const AdamStep& s, float* p, const float* g, float* m, float* v, size_t n);
};

OptimizerOps optimizer_ops_portable();
#if defined(RECKIT_HAVE_AVX2)
OptimizerOps optimizer_ops_avx2();
#endif
#if defined(RECKIT_HAVE_AVX512)
OptimizerOps optimizer_ops_avx512();
#endif

}  // namespace reckit::cpu
