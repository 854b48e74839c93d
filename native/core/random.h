// Seeded fills built on Philox: element i of (seed, stream) is fixed whatever the thread count,
// so parallel fills and the CUDA backend reproduce the CPU's numbers.
#pragma once
#include <cstddef>
#include <cstdint>

namespace reckit {

void fill_random_bits(uint32_t* out, size_t n, uint64_t seed, uint64_t stream);
// Uniform in [low, high).
void fill_uniform(float* out, size_t n, uint64_t seed, uint64_t stream, float low, float high);
// Normal with the given mean and standard deviation (Box-Muller over word pairs).
void fill_normal(float* out, size_t n, uint64_t seed, uint64_t stream, float mean, float stddev);

}  // namespace reckit
