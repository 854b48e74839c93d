// Kernel family "probe": micro-loops that measure this machine's limits for the bench harness
// (FP32 FMA throughput per ISA). Not used by any op.
#pragma once
#include <cstddef>

namespace reckit::cpu {

struct ProbeOps {
  // Runs `iterations` rounds of independent FMA chains; returns the flops performed (2 per lane-FMA).
  // The result sink defeats dead-code elimination.
  double (*fma_loop)(size_t iterations, float* sink);
};

ProbeOps probe_ops_portable();
#if defined(RECKIT_HAVE_AVX2)
ProbeOps probe_ops_avx2();
#endif
#if defined(RECKIT_HAVE_AVX512)
ProbeOps probe_ops_avx512();
#endif

}  // namespace reckit::cpu
