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

inline __mmask16 lanes(size_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1u);
}

// Stores one 16-wide piece of a row through the epilogue; `m` masks the valid columns.
inline void store16(float* c, const float* bias, __m512 acc, __mmask16 m, const GemmStore& s) {
  __m512 v = _mm512_mul_ps(_mm512_set1_ps(s.alpha), acc);
  if (s.load_c) v = _mm512_fmadd_ps(_mm512_set1_ps(s.beta), _mm512_maskz_loadu_ps(m, c), v);
  if (s.epilogue) {
    if (bias) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, bias));
    v = avx512_math::activate(v, s.activation, s.slope);
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
      store16(row + 16 * v, s.bias ? s.bias + 16 * v : nullptr, acc[i][v], v == NV - 1 ? last : 0xFFFF, s);
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
        _mm512_mask_storeu_ps(dst + p * kMR, 0x3FFF, _mm512_maskz_loadu_ps(m, src));
      }
    } else {
      // Rows are strided: read 16 k-steps of each row and scatter them into the panel with a transposing
      // store pattern (dst[p·MR + i]); scalar stores are as fast as anything here and simple.
      for (size_t p0 = 0; p0 < kc; p0 += 16) {
        const size_t steps = kc - p0 < 16 ? kc - p0 : 16;
        alignas(64) float tile[kMR][16];
        for (size_t i = 0; i < static_cast<size_t>(kMR); ++i) {
          _mm512_store_ps(tile[i], i < rows ? _mm512_maskz_loadu_ps(lanes(steps), a + (r0 + i) * lda + p0)
                                            : _mm512_setzero_ps());
        }
        for (size_t q = 0; q < steps; ++q) {
          float* out = dst + (p0 + q) * kMR;
          for (size_t i = 0; i < static_cast<size_t>(kMR); ++i) out[i] = tile[i][q];
        }
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
      // op(B) columns are rows of the stored matrix: read 16 k-steps of each and transpose through a tile.
      for (size_t p0 = 0; p0 < kc; p0 += 16) {
        const size_t steps = kc - p0 < 16 ? kc - p0 : 16;
        alignas(64) float tile[kNR][16];
        for (size_t j = 0; j < static_cast<size_t>(kNR); ++j) {
          _mm512_store_ps(tile[j], j < cols ? _mm512_maskz_loadu_ps(lanes(steps), b + (j0 + j) * ldb + p0)
                                            : _mm512_setzero_ps());
        }
        for (size_t q = 0; q < steps; ++q) {
          float* out = dst + (p0 + q) * kNR;
          for (size_t j = 0; j < static_cast<size_t>(kNR); ++j) out[j] = tile[j][q];
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
