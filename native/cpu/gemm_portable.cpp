// Portable GEMM leaves: a 4×8 micro-kernel in plain C++ that the compiler vectorizes with the baseline
// ISA (SSE2 on x86-64: 8 accumulator registers out of 16), plus the packing routines. It is the last
// fallback and the twin the SIMD kernels are tested against.
#include <cstring>

#include "core/activations.h"
#include "cpu/gemm.h"

namespace reckit::cpu {
namespace {

constexpr size_t kMR = 4;
constexpr size_t kNR = 8;

// The store through the epilogue, shared by every tile shape.
inline void store_tile(const float (&acc)[kMR][kNR], size_t m_eff, size_t n_eff, float* c, size_t ldc,
                       const GemmStore& s) {
  for (size_t i = 0; i < m_eff; ++i) {
    float* row = c + i * ldc;
    for (size_t j = 0; j < n_eff; ++j) {
      float v = s.alpha * acc[i][j];
      if (s.load_c) v += s.beta * row[j];
      if (s.epilogue) {
        if (s.bias) v += s.bias[j];
        v = activation_forward(s.activation, v, s.slope);
        if (s.gate) v *= activation_derivative_from_output(s.gate_activation, s.gate[i * s.ld_gate + j], s.gate_slope);
      }
      row[j] = v;
    }
  }
}

void micro_portable(size_t kc, const float* a, size_t a_step, const float* b, size_t b_step, bool b_padded,
                    float* c, size_t ldc, size_t m_eff, size_t n_eff, const GemmStore& s) {
  float acc[kMR][kNR] = {};
  if (b_padded || n_eff == kNR) {
    // Fixed trip counts: the compiler keeps acc in vector registers.
    for (size_t p = 0; p < kc; ++p, a += a_step, b += b_step) {
      for (size_t i = 0; i < kMR; ++i) {
        const float ai = i < m_eff ? a[i] : 0.f;  // unpacked A panels may be short
        for (size_t j = 0; j < kNR; ++j) acc[i][j] += ai * b[j];
      }
    }
  } else {
    for (size_t p = 0; p < kc; ++p, a += a_step, b += b_step) {
      for (size_t i = 0; i < m_eff; ++i) {
        for (size_t j = 0; j < n_eff; ++j) acc[i][j] += a[i] * b[j];
      }
    }
  }
  store_tile(acc, m_eff, n_eff, c, ldc, s);
}

void pack_a_portable(const float* a, size_t lda, bool trans, size_t mc, size_t kc, float* dst) {
  for (size_t r0 = 0; r0 < mc; r0 += kMR, dst += kc * kMR) {
    const size_t rows = mc - r0 < kMR ? mc - r0 : kMR;
    for (size_t p = 0; p < kc; ++p) {
      float* out = dst + p * kMR;
      for (size_t i = 0; i < rows; ++i) out[i] = trans ? a[p * lda + r0 + i] : a[(r0 + i) * lda + p];
      for (size_t i = rows; i < kMR; ++i) out[i] = 0.f;
    }
  }
}

void pack_b_portable(const float* b, size_t ldb, bool trans, size_t kc, size_t nc, float* dst) {
  for (size_t j0 = 0; j0 < nc; j0 += kNR, dst += kc * kNR) {
    const size_t cols = nc - j0 < kNR ? nc - j0 : kNR;
    for (size_t p = 0; p < kc; ++p) {
      float* out = dst + p * kNR;
      if (!trans) {
        std::memcpy(out, b + p * ldb + j0, cols * sizeof(float));
      } else {
        for (size_t j = 0; j < cols; ++j) out[j] = b[(j0 + j) * ldb + p];
      }
      for (size_t j = cols; j < kNR; ++j) out[j] = 0.f;
    }
  }
}

}  // namespace

GemmKernels gemm_kernels_portable() {
  return {GemmBlocking{kMR, kNR, 128, 256, 2048}, micro_portable, pack_a_portable, pack_b_portable};
}

}  // namespace reckit::cpu
