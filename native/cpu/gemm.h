// Kernel family "gemm": the ISA-specific leaves of the float32 GEMM (core/gemm.cpp runs the loops).
// BLIS anatomy: op(A) is packed into MR-row panels, op(B) into NR-column panels (the transposes happen in
// the packing routines), and an MR×NR register-blocked micro-kernel multiplies one pair of panels and
// stores the tile through the fused epilogue (alpha, beta, bias, activation). Edge tiles are handled
// inside the micro-kernel (row count as a template, masked column loads/stores), so every tile of C is
// computed with the same per-element arithmetic whatever its position: results do not depend on how
// the driver splits C between threads.
#pragma once
#include <cstddef>

#include "core/gemm.h"

namespace reckit::cpu {

// Cache blocking for one ISA (elements). kc: depth of one packed panel pair (B micro-panel kc×nr stays in
// L1); mc: rows of a packed A block (mc×kc stays in L2); nc: columns of a packed B block (kc×nc in L3).
constexpr size_t kPackSlack = 16;

struct GemmBlocking {
  size_t mr, nr, mc, kc, nc;
};

// How the micro-kernel stores its tile: C = alpha·acc + beta·C (C not read when load_c is false), then
// when `epilogue` is set: C = act(C + bias[j]) (bias already offset to the tile's first column, or null)
// and, when `gate` is also set, C *= gate_activation'(gate[i·ld_gate + j]) (gate offset to the tile).
struct GemmStore {
  float alpha;
  float beta;
  bool load_c;
  bool epilogue;
  const float* bias;
  Activation activation;
  float slope;
  const float* gate = nullptr;
  size_t ld_gate = 0;
  Activation gate_activation = Activation::Linear;
  float gate_slope = 0.f;
};

// Multiplies an A panel by a B panel over `kc` steps and stores rows [0, m_eff) × columns [0, n_eff) of
// the tile at c (row stride ldc); 1 <= m_eff <= mr, 1 <= n_eff <= nr.
// A panel: element (i, p) at a[p·a_step + i] (packed: a_step = mr). B panel: element (p, j) at
// b[p·b_step + j] (packed: b_step = nr). `b_padded`: columns up to nr may be read (a packed, zero-padded
// panel); otherwise only columns < n_eff are touched (B read in place from the caller's matrix).
using GemmMicroKernel = void (*)(size_t kc, const float* a, size_t a_step, const float* b, size_t b_step,
                                 bool b_padded, float* c, size_t ldc, size_t m_eff, size_t n_eff,
                                 const GemmStore& store);

// Packs op(A)[0..mc) × [0..kc) (a points at its first element, lda = row stride as stored) into
// ceil(mc/mr) panels of kc×mr floats each, rows past mc zero-filled. trans: A is stored transposed.
// Pack routines may write up to kPackSlack floats past the end of the packed data (whole-vector stores).
using GemmPackA = void (*)(const float* a, size_t lda, bool trans, size_t mc, size_t kc, float* dst);
// Packs op(B)[0..kc) × [0..nc) into ceil(nc/nr) panels of kc×nr floats, columns past nc zero-filled.
using GemmPackB = void (*)(const float* b, size_t ldb, bool trans, size_t kc, size_t nc, float* dst);

struct GemmKernels {
  GemmBlocking blocking;
  GemmMicroKernel micro;
  GemmPackA pack_a;
  GemmPackB pack_b;
};

GemmKernels gemm_kernels_portable();
#if defined(RECKIT_HAVE_AVX2)
GemmKernels gemm_kernels_avx2();
#endif
#if defined(RECKIT_HAVE_AVX512)
GemmKernels gemm_kernels_avx512();
#endif

}  // namespace reckit::cpu
