// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a counter-based
// generator, so element i of stream s under seed k is a pure function of (k, s, i). That makes fills
// parallel without changing results, and lets the CPU and CUDA backends produce identical noise.
// Header-only and __host__ __device__ so both backends compile exactly this arithmetic.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define RECKIT_HD __host__ __device__ __forceinline__
#else
#define RECKIT_HD inline
#endif

namespace reckit {

struct PhiloxBlock {
  uint32_t v[4];
};

RECKIT_HD uint32_t philox_mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  const uint64_t product = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  *hi = static_cast<uint32_t>(product >> 32);
  return static_cast<uint32_t>(product);
}

// One 10-round Philox4x32 bijection of `counter` under `key` (the Random123 reference rounds).
RECKIT_HD PhiloxBlock philox4x32_10(PhiloxBlock counter, uint32_t key0, uint32_t key1) {
  constexpr uint32_t kMul0 = 0xD2511F53u, kMul1 = 0xCD9E8D57u;
  constexpr uint32_t kWeyl0 = 0x9E3779B9u, kWeyl1 = 0xBB67AE85u;
  uint32_t c0 = counter.v[0], c1 = counter.v[1], c2 = counter.v[2], c3 = counter.v[3];
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, hi1;
    const uint32_t lo0 = philox_mulhilo(kMul0, c0, &hi0);
    const uint32_t lo1 = philox_mulhilo(kMul1, c2, &hi1);
    c0 = hi1 ^ c1 ^ key0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ key1;
    c3 = lo0;
    key0 += kWeyl0;
    key1 += kWeyl1;
  }
  return PhiloxBlock{{c0, c1, c2, c3}};
}

// reckit's keying convention: key = the 64-bit seed, counter = (block index, stream). Block `index`
// of stream `stream` yields four 32-bit words; word j of a stream is word j%4 of block j/4.
RECKIT_HD PhiloxBlock philox_block(uint64_t seed, uint64_t stream, uint64_t index) {
  PhiloxBlock counter{{static_cast<uint32_t>(index), static_cast<uint32_t>(index >> 32),
                       static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)}};
  return philox4x32_10(counter, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Uniform float in [0, 1): the top 24 bits, so every value is exactly representable.
RECKIT_HD float uniform_from_bits(uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }

// Uniform float in (0, 1]: safe to take the logarithm of.
RECKIT_HD float uniform_open0_from_bits(uint32_t bits) {
  return (static_cast<float>(bits >> 8) + 1.0f) * (1.0f / 16777216.0f);
}

}  // namespace reckit

namespace reckit {

// Box-Muller on two words: two independent standard normals. Shared by CPU and CUDA.
RECKIT_HD void normal_pair_from_bits(uint32_t bits0, uint32_t bits1, float* z0, float* z1) {
  const float radius = sqrtf(-2.0f * logf(uniform_open0_from_bits(bits0)));
  const float angle = 6.2831853071795864769f * uniform_from_bits(bits1);
  *z0 = radius * cosf(angle);
  *z1 = radius * sinf(angle);
}

}  // namespace reckit
