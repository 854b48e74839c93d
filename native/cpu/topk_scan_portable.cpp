// Portable topk-scan kernels: the reference for the SIMD twins and the fallback on any CPU. Also the
// scalar float <-> bf16/f16 conversions (round to nearest even) used when rows are inserted.
#include <cmath>
#include <cstring>

#include "cpu/topk_scan.h"

namespace reckit::cpu {

uint16_t f32_to_bf16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x40u);  // NaN stays NaN
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

float bf16_to_f32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float v;
  std::memcpy(&v, &bits, 4);
  return v;
}

uint16_t f32_to_f16(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, 4);
  const uint32_t sign = (bits >> 16) & 0x8000u;
  const float a = std::fabs(v);
  if (a >= 65520.0f) return static_cast<uint16_t>(sign | 0x7c00u);  // overflow (callers keep |v| <= 65504)
  if (a < 6.103515625e-05f) {
    // Subnormal half: a multiple of 2^-24; nearbyint rounds half to even in the default mode.
    const float scaled = a * 16777216.0f;  // exact: a power-of-two scale
    return static_cast<uint16_t>(sign | static_cast<uint32_t>(std::nearbyint(scaled)));
  }
  uint32_t abits = bits & 0x7fffffffu;
  // Rebias the exponent (127 -> 15) and round the 23-bit mantissa to 10 bits, ties to even.
  const uint32_t rounding = 0xfffu + ((abits >> 13) & 1u);
  abits += rounding;
  const uint32_t half = ((abits >> 13) - (112u << 10));
  return static_cast<uint16_t>(sign | half);
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  float magnitude;
  if (exponent == 0) {
    magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-08f;  // mantissa * 2^-24
  } else if (exponent == 31) {
    magnitude = mantissa ? NAN : INFINITY;
  } else {
    const uint32_t bits = ((exponent + 112u) << 23) | (mantissa << 13);
    std::memcpy(&magnitude, &bits, 4);
  }
  uint32_t out;
  std::memcpy(&out, &magnitude, 4);
  out |= sign;
  float v;
  std::memcpy(&v, &out, 4);
  return v;
}

namespace {

constexpr size_t kLanes = 8;

// One row's dot product in a fixed order: 8 strided partial sums, then summed left to right.
template <typename Load>
inline float dot_row(const float* q, size_t dp, Load load) {
  float acc[kLanes] = {};
  for (size_t i = 0; i < dp; i += kLanes) {
    for (size_t l = 0; l < kLanes; ++l) acc[l] += q[i + l] * load(i + l);
  }
  float total = 0.f;
  for (size_t l = 0; l < kLanes; ++l) total += acc[l];
  return total;
}

void score_f32_portable(const float* q, const float* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const float* x = rows + j * dp;
    out[j] = dot_row(q, dp, [x](size_t i) { return x[i]; });
  }
}

void score_bf16_portable(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const uint16_t* x = rows + j * dp;
    out[j] = dot_row(q, dp, [x](size_t i) { return bf16_to_f32(x[i]); });
  }
}

void score_f16_portable(const float* q, const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const uint16_t* x = rows + j * dp;
    out[j] = dot_row(q, dp, [x](size_t i) { return f16_to_f32(x[i]); });
  }
}

void score_i8_portable(const float* q, const int8_t* rows, const float* scales, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) {
    const int8_t* x = rows + j * dp;
    out[j] = scales[j] * dot_row(q, dp, [x](size_t i) { return static_cast<float>(x[i]); });
  }
}

void decode_bf16_portable(const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t i = 0; i < n * dp; ++i) out[i] = bf16_to_f32(rows[i]);
}

void decode_f16_portable(const uint16_t* rows, size_t n, size_t dp, float* out) {
  for (size_t i = 0; i < n * dp; ++i) out[i] = f16_to_f32(rows[i]);
}

void decode_i8_portable(const int8_t* rows, const float* scales, size_t n, size_t dp, float* out) {
  for (size_t j = 0; j < n; ++j) {
    for (size_t i = 0; i < dp; ++i) out[j * dp + i] = scales[j] * static_cast<float>(rows[j * dp + i]);
  }
}

void score_block_f32_portable(const float* qpack, const float* rows, size_t n, size_t dp, const float* lo, float* out,
                              uint32_t* hits) {
  constexpr size_t B = kTopkQueryBlock;
  for (size_t j = 0; j < n; ++j) {
    const float* x = rows + j * dp;
    float acc[B] = {};
    for (size_t k = 0; k < dp; ++k) {
      const float xk = x[k];
      for (size_t i = 0; i < B; ++i) acc[i] = std::fma(qpack[k * B + i], xk, acc[i]);
    }
    uint32_t mask = 0;
    for (size_t i = 0; i < B; ++i) {
      out[j * B + i] = acc[i];
      if (acc[i] >= lo[i]) mask |= 1u << i;
    }
    hits[j] = mask;
  }
}

}  // namespace

TopkScan topk_scan_portable() {
  return {score_f32_portable,   score_bf16_portable,  score_f16_portable, score_i8_portable,
          decode_bf16_portable, decode_f16_portable,  decode_i8_portable, score_block_f32_portable};
}

}  // namespace reckit::cpu
