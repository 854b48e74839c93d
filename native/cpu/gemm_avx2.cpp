// AVX2+FMA GEMM leaves: a 6×16 micro-kernel (12 ymm accumulators, 2 B vectors, 1 broadcast: 15 of the 16
// registers), its packing routines and the vectorized epilogue. Compiled with -mavx2 -mfma; only called
// after cpuid and XCR0 say yes. Internal linkage throughout (ODR).
#include <immintrin.h>

#include <cstdint>
#include <utility>

#include "cpu/gemm.h"
#include "cpu/simd_math_avx2.h"

namespace reckit::cpu {
namespace {

constexpr int kMR = 6;
constexpr int kNV = 2;  // ymm vectors per row
constexpr int kNR = 8 * kNV;

// A lane mask for maskload/maskstore: lanes [0, count) set.
inline __m256i lanes(size_t count) {
  const int n = count >= 8 ? 8 : static_cast<int>(count);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// In-register transpose of an 8×8 tile: r[i] holds row i on entry, column i on exit.
inline void transpose8(__m256 r[8]) {
  __m256 t[8], u[8];
  for (int i = 0; i < 4; ++i) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 2; ++i) {
    u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  // u[4i + j], 128-bit half h = column 4h + j of rows 4i..4i+3.
  for (int j = 0; j < 4; ++j) {
    r[j] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x20);
    r[j + 4] = _mm256_permute2f128_ps(u[j], u[4 + j], 0x31);
  }
}

// act'(y) from the activation's output y, lane by lane as activation_derivative_from_output computes it
// (relu/leaky_relu: y > 0 is false for NaN, as in the scalar form).
inline __m256 derivative_from_output(__m256 y, Activation act, float slope) {
  const __m256 one = _mm256_set1_ps(1.f);
  switch (act) {
    case Activation::Linear: return one;
    case Activation::Relu: return _mm256_and_ps(_mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ), one);
    case Activation::LeakyRelu:
      return _mm256_blendv_ps(_mm256_set1_ps(slope), one, _mm256_cmp_ps(y, _mm256_setzero_ps(), _CMP_GT_OQ));
    case Activation::Tanh: return _mm256_sub_ps(one, _mm256_mul_ps(y, y));
    case Activation::Sigmoid: return _mm256_mul_ps(y, _mm256_sub_ps(one, y));
  }
  return one;
}

// `gate`: the tile row's gate values for these lanes (null: no gate); read only in the epilogue.
template <bool FULL>
inline void store8(float* c, const float* bias, const float* gate, __m256 acc, __m256i m, const GemmStore& s) {
  __m256 v = _mm256_mul_ps(_mm256_set1_ps(s.alpha), acc);
  if (s.load_c) {
    const __m256 old = FULL ? _mm256_loadu_ps(c) : _mm256_maskload_ps(c, m);
    v = _mm256_fmadd_ps(_mm256_set1_ps(s.beta), old, v);
  }
  if (s.epilogue) {
    if (bias) v = _mm256_add_ps(v, FULL ? _mm256_loadu_ps(bias) : _mm256_maskload_ps(bias, m));
    v = avx2_math::activate(v, s.activation, s.slope);
    if (gate) {
      const __m256 y = FULL ? _mm256_loadu_ps(gate) : _mm256_maskload_ps(gate, m);
      v = _mm256_mul_ps(v, derivative_from_output(y, s.gate_activation, s.gate_slope));
    }
  }
  if (FULL) _mm256_storeu_ps(c, v);
  else _mm256_maskstore_ps(c, m, v);
}

template <int M, int NV, bool MASK_B>
void micro(size_t kc, const float* a, size_t a_step, const float* b, size_t b_step, float* c, size_t ldc,
           size_t n_eff, const GemmStore& s) {
  __m256 acc[M][NV];
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_setzero_ps();
  }
  const size_t tail = n_eff - 8 * (NV - 1);
  const __m256i last = lanes(tail);
  for (size_t p = 0; p < kc; ++p) {
    __m256 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      bv[v] = (MASK_B && v == NV - 1) ? _mm256_maskload_ps(b + 8 * v, last) : _mm256_loadu_ps(b + 8 * v);
    }
#pragma GCC unroll 8
    for (int i = 0; i < M; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += a_step;
    b += b_step;
  }
  const __m256i full = _mm256_set1_epi32(-1);
#pragma GCC unroll 8
  for (int i = 0; i < M; ++i) {
    float* row = c + static_cast<size_t>(i) * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      const float* bias = s.bias ? s.bias + 8 * v : nullptr;
      const float* gate = s.gate ? s.gate + static_cast<size_t>(i) * s.ld_gate + 8 * v : nullptr;
      if (v < NV - 1 || tail >= 8) store8<true>(row + 8 * v, bias, gate, acc[i][v], full, s);
      else store8<false>(row + 8 * v, bias, gate, acc[i][v], last, s);
    }
  }
}

using Micro = void (*)(size_t, const float*, size_t, const float*, size_t, float*, size_t, size_t, const GemmStore&);

template <size_t... Ms>
constexpr auto make_table(std::index_sequence<Ms...>) {
  struct Table {
    Micro f[kMR][kNV][2];
  } t{};
  ((t.f[Ms][0][0] = micro<Ms + 1, 1, false>, t.f[Ms][0][1] = micro<Ms + 1, 1, true>,
    t.f[Ms][1][0] = micro<Ms + 1, 2, false>, t.f[Ms][1][1] = micro<Ms + 1, 2, true>),
   ...);
  return t;
}
static_assert(kNV == 2, "make_table lists the vector counts explicitly");
static_assert(kMR <= 8 && kNR == 16, "the transposing packs assume MR <= 8 and NR = 2 x 8");
constexpr auto kTable = make_table(std::make_index_sequence<kMR>{});

void micro_avx2(size_t kc, const float* a, size_t a_step, const float* b, size_t b_step, bool b_padded, float* c,
                size_t ldc, size_t m_eff, size_t n_eff, const GemmStore& s) {
  const size_t nv = (n_eff + 7) / 8;
  const bool mask_b = !b_padded && (n_eff % 8) != 0;
  kTable.f[m_eff - 1][nv - 1][mask_b ? 1 : 0](kc, a, a_step, b, b_step, c, ldc, n_eff, s);
}

// Writes 8 floats where a k-step of the panel has 6: the 2 extra land on the next k-step, which is written
// afterwards (steps go in increasing order), or in the pack buffer's slack (GemmBlocking contract). Masked
// stores (vmaskmovps) are microcoded and slow on AMD cores, so they are avoided here.
void pack_a_avx2(const float* a, size_t lda, bool trans, size_t mc, size_t kc, float* dst) {
  for (size_t r0 = 0; r0 < mc; r0 += kMR, dst += kc * kMR) {
    const size_t rows = mc - r0 < static_cast<size_t>(kMR) ? mc - r0 : kMR;
    if (trans) {
      const float* src = a + r0;
      if (r0 + 8 <= mc) {
        // 8 floats of this block's rows: in bounds, so a plain load (the 2 extra are overwritten).
        for (size_t p = 0; p < kc; ++p, src += lda) _mm256_storeu_ps(dst + p * kMR, _mm256_loadu_ps(src));
      } else {
        const __m256i m = lanes(rows);
        for (size_t p = 0; p < kc; ++p, src += lda) _mm256_storeu_ps(dst + p * kMR, _mm256_maskload_ps(src, m));
      }
    } else {
      // Strided rows: 8 k-steps of each row (rows past mc as zeros), transposed in registers.
      for (size_t p0 = 0; p0 < kc; p0 += 8) {
        const size_t steps = kc - p0 < 8 ? kc - p0 : 8;
        const __m256i m = lanes(steps);
        __m256 r[8];
        for (size_t i = 0; i < 8; ++i) r[i] = i < rows ? _mm256_maskload_ps(a + (r0 + i) * lda + p0, m) : _mm256_setzero_ps();
        transpose8(r);
        for (size_t q = 0; q < steps; ++q) _mm256_storeu_ps(dst + (p0 + q) * kMR, r[q]);
      }
    }
  }
}

void pack_b_avx2(const float* b, size_t ldb, bool trans, size_t kc, size_t nc, float* dst) {
  for (size_t j0 = 0; j0 < nc; j0 += kNR, dst += kc * kNR) {
    const size_t cols = nc - j0 < static_cast<size_t>(kNR) ? nc - j0 : kNR;
    if (!trans) {
      const __m256i m0 = lanes(cols), m1 = lanes(cols > 8 ? cols - 8 : 0);
      const float* src = b + j0;
      if (cols == static_cast<size_t>(kNR)) {
        for (size_t p = 0; p < kc; ++p, src += ldb) {
          _mm256_storeu_ps(dst + p * kNR, _mm256_loadu_ps(src));
          _mm256_storeu_ps(dst + p * kNR + 8, _mm256_loadu_ps(src + 8));
        }
      } else {
        for (size_t p = 0; p < kc; ++p, src += ldb) {
          _mm256_storeu_ps(dst + p * kNR, _mm256_maskload_ps(src, m0));
          _mm256_storeu_ps(dst + p * kNR + 8, _mm256_maskload_ps(src + 8, m1));
        }
      }
    } else {
      // op(B) columns are rows of the stored matrix: 8 k-steps of 8 columns at a time, transposed in registers.
      for (size_t p0 = 0; p0 < kc; p0 += 8) {
        const size_t steps = kc - p0 < 8 ? kc - p0 : 8;
        const __m256i m = lanes(steps);
        for (size_t half = 0; half < 2; ++half) {
          __m256 r[8];
          for (size_t j = 0; j < 8; ++j) {
            const size_t col = half * 8 + j;
            r[j] = col < cols ? _mm256_maskload_ps(b + (j0 + col) * ldb + p0, m) : _mm256_setzero_ps();
          }
          transpose8(r);
          for (size_t q = 0; q < steps; ++q) _mm256_storeu_ps(dst + (p0 + q) * kNR + half * 8, r[q]);
        }
      }
    }
  }
}

}  // namespace

GemmKernels gemm_kernels_avx2() {
  return {GemmBlocking{kMR, kNR, 6 * 24, 256, 4096}, micro_avx2, pack_a_avx2, pack_b_avx2};
}

}  // namespace reckit::cpu
