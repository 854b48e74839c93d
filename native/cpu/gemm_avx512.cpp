// AVX-512 GEMM leaves: an MR×NR = 14×32 micro-kernel (28 zmm accumulators, 2 B vectors, 1 broadcast of
// A), its packing routines and the vectorized epilogue. Compiled with -mavx512f…; only called after cpuid
// and XCR0 say yes. Everything here has internal linkage (ODR: no AVX-512 copy of a shared inline may
// leak into the portable path).
#include <immintrin.h>

#include <cstdint>
#include <utility>

#include "cpu/gemm.h"
#include "cpu/simd_math_avx512.h"

namespace reckit::cpu {
namespace {

constexpr int kMR = 14;
constexpr int kNV = 2;  // zmm vectors per row
constexpr int kNR = 16 * kNV;
constexpr __mmask16 kPanelMask = static_cast<__mmask16>((1u << kMR) - 1u);  // one k-step of an A panel

inline __mmask16 lanes(size_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1u);
}

// In-register transpose of a 16×16 tile: r[i] holds row i on entry, column i on exit. Three shuffle
// stages (32-bit pairs, 64-bit pairs, 128-bit lanes), 64 shuffles for 256 elements: the transposing
// packs run several times faster than element-by-element copies.
inline void transpose16(__m512 r[16]) {
  __m512 a[16], b[16];
  for (int i = 0; i < 8; ++i) {
    a[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    a[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int i = 0; i < 4; ++i) {
    const __m512d a0 = _mm512_castps_pd(a[4 * i]), a1 = _mm512_castps_pd(a[4 * i + 1]);
    const __m512d a2 = _mm512_castps_pd(a[4 * i + 2]), a3 = _mm512_castps_pd(a[4 * i + 3]);
    b[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a0, a2));
    b[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a0, a2));
    b[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(a1, a3));
    b[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(a1, a3));
  }
  // b[4i + j], 128-bit lane L = column 4L + j of rows 4i..4i+3.
  for (int j = 0; j < 4; ++j) {
    const __m512 u = _mm512_shuffle_f32x4(b[j], b[4 + j], 0x88), v = _mm512_shuffle_f32x4(b[j], b[4 + j], 0xDD);
    const __m512 w = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0x88), x = _mm512_shuffle_f32x4(b[8 + j], b[12 + j], 0xDD);
    r[j] = _mm512_shuffle_f32x4(u, w, 0x88);
    r[j + 8] = _mm512_shuffle_f32x4(u, w, 0xDD);
    r[j + 4] = _mm512_shuffle_f32x4(v, x, 0x88);
    r[j + 12] = _mm512_shuffle_f32x4(v, x, 0xDD);
  }
}

// act'(y) from the activation's output y, lane by lane as activation_derivative_from_output computes it
// (relu/leaky_relu: y > 0 is false for NaN, as in the scalar form).
inline __m512 derivative_from_output(__m512 y, Activation act, float slope) {
  const __m512 one = _mm512_set1_ps(1.f);
  switch (act) {
    case Activation::Linear: return one;
    case Activation::Relu: return _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), one);
    case Activation::LeakyRelu:
      return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ), _mm512_set1_ps(slope), one);
    case Activation::Tanh: return _mm512_sub_ps(one, _mm512_mul_ps(y, y));
    case Activation::Sigmoid: return _mm512_mul_ps(y, _mm512_sub_ps(one, y));
  }
  return one;
}

// Stores one 16-wide piece of a row through the epilogue; `m` masks the valid columns. `gate`: the row's
// gate values for these columns (null: no gate).
inline void store16(float* c, const float* bias, const float* gate, __m512 acc, __mmask16 m, const GemmStore& s) {
  __m512 v = _mm512_mul_ps(_mm512_set1_ps(s.alpha), acc);
  if (s.load_c) v = _mm512_fmadd_ps(_mm512_set1_ps(s.beta), _mm512_maskz_loadu_ps(m, c), v);
  if (s.epilogue) {
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias));
    v = avx512_math::activate(v, s.activation, s.slope);
    if (gate) v = _mm512_mul_ps(v, derivative_from_output(_mm512_maskz_loadu_ps(m, gate), s.gate_activation, s.gate_slope));
  }
  _mm512_mask_storeu_ps(c, m, v);
}

// M rows (1..kMR) × NV vectors; the last vector may be partial (n_eff), read with a mask when B is not a
// padded panel. The k loop is the hot loop: NV loads, M broadcasts, M·NV FMAs per step.
template <int M, int NV, bool MASK_B>
void micro(size_t kc, const float* a, size_t a_step, const float* b, size_t b_step, float* c, size_t ldc,
           size_t n_eff, const GemmStore& s) {
  __m512 acc[M][NV];
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_setzero_ps();
  }
  const __mmask16 last = lanes(n_eff - 16 * (NV - 1));
  for (size_t p = 0; p < kc; ++p) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      bv[v] = (MASK_B && v == NV - 1) ? _mm512_maskz_loadu_ps(last, b + 16 * v) : _mm512_loadu_ps(b + 16 * v);
    }
#pragma GCC unroll 16
    for (int i = 0; i < M; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += a_step;
    b += b_step;
  }
#pragma GCC unroll 16
  for (int i = 0; i < M; ++i) {
    float* row = c + static_cast<size_t>(i) * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      store16(row + 16 * v, s.bias ? s.bias + 16 * v : nullptr,
              s.gate ? s.gate + static_cast<size_t>(i) * s.ld_gate + 16 * v : nullptr, acc[i][v],
              v == NV - 1 ? last : 0xFFFF, s);
    }
  }
}

using Micro = void (*)(size_t, const float*, size_t, const float*, size_t, float*, size_t, size_t, const GemmStore&);

// table[m_eff - 1][nv_eff - 1][mask_b]
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
static_assert(kMR <= 16 && kNR == 32, "the transposing packs assume MR <= 16 and NR = 2 x 16");
constexpr auto kTable = make_table(std::make_index_sequence<kMR>{});

void micro_avx512(size_t kc, const float* a, size_t a_step, const float* b, size_t b_step, bool b_padded, float* c,
                  size_t ldc, size_t m_eff, size_t n_eff, const GemmStore& s) {
  const size_t nv = (n_eff + 15) / 16;
  const bool mask_b = !b_padded && (n_eff % 16) != 0;
  kTable.f[m_eff - 1][nv - 1][mask_b ? 1 : 0](kc, a, a_step, b, b_step, c, ldc, n_eff, s);
}

void pack_a_avx512(const float* a, size_t lda, bool trans, size_t mc, size_t kc, float* dst) {
  for (size_t r0 = 0; r0 < mc; r0 += kMR, dst += kc * kMR) {
    const size_t rows = mc - r0 < static_cast<size_t>(kMR) ? mc - r0 : kMR;
    if (trans) {
      // op(A) rows are contiguous in memory: one masked copy of `rows` floats per k step.
      const __mmask16 m = lanes(rows);
      const float* src = a + r0;
      for (size_t p = 0; p < kc; ++p, src += lda) {
        _mm512_mask_storeu_ps(dst + p * kMR, kPanelMask, _mm512_maskz_loadu_ps(m, src));
      }
    } else {
      // Rows are strided: load 16 k-steps of each row (rows past mc as zeros), transpose in registers, and
      // store each k-step's column of MR values.
      for (size_t p0 = 0; p0 < kc; p0 += 16) {
        const size_t steps = kc - p0 < 16 ? kc - p0 : 16;
        const __mmask16 m = lanes(steps);
        __m512 r[16];
        for (size_t i = 0; i < 16; ++i) {
          r[i] = i < rows ? _mm512_maskz_loadu_ps(m, a + (r0 + i) * lda + p0) : _mm512_setzero_ps();
        }
        transpose16(r);
        for (size_t q = 0; q < steps; ++q) _mm512_mask_storeu_ps(dst + (p0 + q) * kMR, kPanelMask, r[q]);
      }
    }
  }
}

void pack_b_avx512(const float* b, size_t ldb, bool trans, size_t kc, size_t nc, float* dst) {
  for (size_t j0 = 0; j0 < nc; j0 += kNR, dst += kc * kNR) {
    const size_t cols = nc - j0 < static_cast<size_t>(kNR) ? nc - j0 : kNR;
    if (!trans) {
      const __mmask16 m0 = lanes(cols), m1 = lanes(cols > 16 ? cols - 16 : 0);
      const float* src = b + j0;
      for (size_t p = 0; p < kc; ++p, src += ldb) {
        _mm512_storeu_ps(dst + p * kNR, _mm512_maskz_loadu_ps(m0, src));
        _mm512_storeu_ps(dst + p * kNR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
      }
    } else {
      // op(B) columns are rows of the stored matrix: load 16 k-steps of each, transpose 16 columns at a time.
      for (size_t p0 = 0; p0 < kc; p0 += 16) {
        const size_t steps = kc - p0 < 16 ? kc - p0 : 16;
        const __mmask16 m = lanes(steps);
        for (size_t half = 0; half < 2; ++half) {
          __m512 r[16];
          for (size_t j = 0; j < 16; ++j) {
            const size_t col = half * 16 + j;
            r[j] = col < cols ? _mm512_maskz_loadu_ps(m, b + (j0 + col) * ldb + p0) : _mm512_setzero_ps();
          }
          transpose16(r);
          for (size_t q = 0; q < steps; ++q) _mm512_storeu_ps(dst + (p0 + q) * kNR + half * 16, r[q]);
        }
      }
    }
  }
}

}  // namespace

GemmKernels gemm_kernels_avx512() {
  return {GemmBlocking{kMR, kNR, 14 * 12, 256, 4096}, micro_avx512, pack_a_avx512, pack_b_avx512};
}

}  // namespace reckit::cpu
