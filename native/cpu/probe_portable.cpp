// Portable FMA-throughput probe: scalar-array chains the compiler vectorizes for the baseline ISA.
#include "cpu/probe.h"

namespace reckit::cpu {
namespace {

double fma_loop_portable(size_t iterations, float* sink) {
  constexpr int kChains = 32;
  float acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = 1.0f + 0.001f * static_cast<float>(c);
  const float mul = 0.999999f, add = 1e-7f;
  for (size_t i = 0; i < iterations; ++i) {
    for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * mul + add;
  }
  float total = 0;
  for (int c = 0; c < kChains; ++c) total += acc[c];
  *sink = total;
  return 2.0 * kChains * static_cast<double>(iterations);
}

}  // namespace

ProbeOps probe_ops_portable() { return {fma_loop_portable}; }

}  // namespace reckit::cpu
