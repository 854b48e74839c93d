// The packed GEMM's loops (BLIS anatomy): blocking by the ISA's MC/KC/NC, packing through the ISA's
// routines into per-thread buffers, the micro-kernel over MR×NR tiles, and the split of C between the
// compute pool's threads. Each thread owns a rectangle of C and packs what it needs itself, so threads
// never wait for each other inside a call. Per-element arithmetic does not depend on the split (k is
// always blocked the same way), so results are bit-identical for every thread count.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <vector>

#include "core/activations.h"
#include "core/gemm.h"
#include "core/gemm_isa.h"
#include "core/thread_pool.h"
#include "cpu/dispatch.h"

namespace reckit {
namespace {

// Below this much work a call runs on the calling thread: waking the pool costs more than it saves.
// Work counts multiply-adds plus kStoreCost per element of C: a k = 1 outer product (a layer's input
// gradient through a one-unit output) is all stores and still worth splitting at 512×256.
constexpr size_t kParallelMinWork = size_t{96} * 96 * 96;
constexpr size_t kStoreCost = 8;
// Packing one element costs about this many multiply-adds of micro-kernel time (used to choose the split).
constexpr double kPackCostPerElement = 8;

inline size_t round_up(size_t x, size_t unit) { return (x + unit - 1) / unit * unit; }
inline size_t ceil_div(size_t x, size_t unit) { return (x + unit - 1) / unit; }

// A per-thread, 64-byte aligned, grow-only scratch buffer for packed panels (never shared between threads).
class PackBuffer {
 public:
  ~PackBuffer() { std::free(data_); }
  float* get(size_t floats) {
    if (floats > capacity_) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = 0;
      const size_t bytes = round_up((floats + cpu::kPackSlack) * sizeof(float), 64);
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (!data_) throw std::bad_alloc();
      capacity_ = floats;
    }
    return data_;
  }

 private:
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

thread_local PackBuffer tls_pack_a;
thread_local PackBuffer tls_pack_b;

struct Problem {
  bool trans_a, trans_b;
  size_t m, n, k;
  float alpha, beta;
  const float* a;
  size_t lda;
  const float* b;
  size_t ldb;
  float* c;
  size_t ldc;
  const GemmEpilogue* epilogue;
};

// Address of op(A)(i, p) and op(B)(p, j) as stored.
inline const float* a_at(const Problem& P, size_t i, size_t p) {
  return P.trans_a ? P.a + p * P.lda + i : P.a + i * P.lda + p;
}
inline const float* b_at(const Problem& P, size_t p, size_t j) {
  return P.trans_b ? P.b + j * P.ldb + p : P.b + p * P.ldb + j;
}

// C[i0..i1) × [j0..j1) on the calling thread: the five BLIS loops.
void run_block(const cpu::GemmKernels& K, const Problem& P, size_t i0, size_t i1, size_t j0, size_t j1) {
  if (i0 >= i1 || j0 >= j1) return;
  const cpu::GemmBlocking& bl = K.blocking;
  const size_t mr = bl.mr, nr = bl.nr;
  // Equal blocks instead of full blocks plus a sliver (k = 300: 150 + 150, not 256 + 44), so no pass runs
  // a short, overhead-dominated block. KC depends on k alone, never on the split: every thread sums each
  // element's products in the same blocks, which keeps results identical across thread counts.
  const size_t kc_max = ceil_div(P.k, ceil_div(P.k, bl.kc));
  const size_t mc_max = round_up(ceil_div(i1 - i0, ceil_div(i1 - i0, bl.mc)), mr);
  const size_t nc_max = round_up(ceil_div(j1 - j0, ceil_div(j1 - j0, bl.nc)), nr);
  // Light path: a panel that only one micro-kernel row (or column) of tiles will read is not worth
  // copying when its stored layout already is the panel layout (B not transposed: k-steps are rows; A
  // transposed: likewise). The micro-kernel then reads it in place with its stride, touching only valid
  // rows/columns.
  const bool b_in_place = !P.trans_b && i1 - i0 <= mr;
  const bool a_in_place = P.trans_a && j1 - j0 <= nr;
  float* bp = b_in_place ? nullptr : tls_pack_b.get(kc_max * nc_max);
  float* ap = a_in_place ? nullptr : tls_pack_a.get(kc_max * mc_max);
  const GemmEpilogue* epi = P.epilogue;

  for (size_t jc = j0; jc < j1; jc += nc_max) {
    const size_t nc = std::min(nc_max, j1 - jc);
    for (size_t pc = 0; pc < P.k; pc += kc_max) {
      const size_t kc = std::min(kc_max, P.k - pc);
      const bool first = pc == 0, last = pc + kc == P.k;
      // Later k blocks accumulate onto the partial sums already in C; the epilogue runs once, at the end.
      cpu::GemmStore store{P.alpha,
                           first ? P.beta : 1.f,
                           first ? P.beta != 0.f : true,
                           last && epi != nullptr,
                           nullptr,
                           epi ? epi->activation : Activation::Linear,
                           epi ? epi->alpha : 0.f};
      const float* gate = epi ? epi->gate : nullptr;
      if (gate) {
        store.ld_gate = epi->ld_gate;
        store.gate_activation = epi->gate_activation;
        store.gate_slope = epi->gate_slope;
      }
      if (!b_in_place) K.pack_b(b_at(P, pc, jc), P.ldb, P.trans_b, kc, nc, bp);
      for (size_t ic = i0; ic < i1; ic += mc_max) {
        const size_t mc = std::min(mc_max, i1 - ic);
        if (!a_in_place) K.pack_a(a_at(P, ic, pc), P.lda, P.trans_a, mc, kc, ap);
        for (size_t jr = 0; jr < nc; jr += nr) {
          const size_t n_eff = std::min(nr, nc - jr);
          store.bias = (epi && epi->bias) ? epi->bias + jc + jr : nullptr;
          const float* b_panel = b_in_place ? b_at(P, pc, jc + jr) : bp + jr * kc;
          for (size_t ir = 0; ir < mc; ir += mr) {
            const float* a_panel = a_in_place ? a_at(P, ic + ir, pc) : ap + ir * kc;
            store.gate = gate ? gate + (ic + ir) * epi->ld_gate + jc + jr : nullptr;
            K.micro(kc, a_panel, a_in_place ? P.lda : mr, b_panel, b_in_place ? P.ldb : nr, !b_in_place,
                    P.c + (ic + ir) * P.ldc + jc + jr, P.ldc, std::min(mr, mc - ir), n_eff, store);
          }
        }
      }
    }
  }
}

// k == 0: op(A)·op(B) is the zero matrix, so C = beta·C (then the epilogue).
void scale_only(const Problem& P) {
  for (size_t i = 0; i < P.m; ++i) {
    float* row = P.c + i * P.ldc;
    for (size_t j = 0; j < P.n; ++j) {
      float v = P.beta == 0.f ? 0.f : P.beta * row[j];
      if (P.epilogue) {
        if (P.epilogue->bias) v += P.epilogue->bias[j];
        v = activation_forward(P.epilogue->activation, v, P.epilogue->alpha);
        if (P.epilogue->gate) {
          v *= activation_derivative_from_output(P.epilogue->gate_activation, P.epilogue->gate[i * P.epilogue->ld_gate + j],
                                                 P.epilogue->gate_slope);
        }
      }
      row[j] = v;
    }
  }
}

struct Grid {
  size_t rows, cols;  // threads along m and along n
};

// The split of C into rows×cols rectangles (rows·cols = threads) whose slowest rectangle is cheapest:
// tile-rounded compute plus the packing each rectangle does on its own.
Grid choose_grid(const cpu::GemmBlocking& bl, size_t m, size_t n, size_t k, size_t threads) {
  Grid best{1, threads};
  double best_cost = -1;
  const size_t units_m = ceil_div(m, bl.mr), units_n = ceil_div(n, bl.nr);
  for (size_t rows = 1; rows <= threads; ++rows) {
    if (threads % rows) continue;
    const size_t cols = threads / rows;
    const size_t mb = ceil_div(units_m, rows) * bl.mr, nb = ceil_div(units_n, cols) * bl.nr;
    const double compute = static_cast<double>(mb) * static_cast<double>(nb) * static_cast<double>(k);
    const double packing = (static_cast<double>(mb) * static_cast<double>(ceil_div(nb, bl.nc)) + static_cast<double>(nb)) *
                           static_cast<double>(k) * kPackCostPerElement;
    if (best_cost < 0 || compute + packing < best_cost) {
      best_cost = compute + packing;
      best = {rows, cols};
    }
  }
  return best;
}

}  // namespace

void gemm_f32_with(const cpu::GemmKernels& kernels, Transpose trans_a, Transpose trans_b, size_t m, size_t n,
                   size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb, float beta,
                   float* c, size_t ldc, const GemmEpilogue* epilogue) {
  if (m == 0 || n == 0) return;
  const Problem P{trans_a == Transpose::Yes, trans_b == Transpose::Yes, m, n, k, alpha, beta, a, lda, b, ldb, c, ldc,
                  epilogue};
  if (k == 0) {
    scale_only(P);
    return;
  }
  if (n == 1 && m > 1 && ldc == 1 && !(epilogue && epilogue->gate)) {
    // A matrix-vector product would fill 1 of every 16+ columns of each tile. Its transpose, the 1×m row
    // Cᵀ = op(B)ᵀ·op(A)ᵀ, fills whole tiles and is stored exactly where C is (ldc == 1). Per element it is
    // the same sum of the same products in the same order, so the result is bit-identical. (A gated
    // epilogue reads its gate by C's layout, so it keeps the column form.)
    std::vector<float> bias_row;
    GemmEpilogue row_epilogue;
    if (epilogue) {
      row_epilogue = *epilogue;
      if (epilogue->bias) {
        bias_row.assign(m, epilogue->bias[0]);
        row_epilogue.bias = bias_row.data();
      }
    }
    gemm_f32_with(kernels, trans_b == Transpose::Yes ? Transpose::No : Transpose::Yes,
                  trans_a == Transpose::Yes ? Transpose::No : Transpose::Yes, 1, m, k, alpha, b, ldb, a, lda, beta, c,
                  m, epilogue ? &row_epilogue : nullptr);
    return;
  }
  ComputePool& pool = ComputePool::instance();
  const size_t threads = pool.threads();
  // In double: m·n·k can exceed 64 bits for shapes the caller's memory could never hold, but this must not wrap.
  const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k + kStoreCost);
  if (threads <= 1 || work < static_cast<double>(kParallelMinWork)) {
    run_block(kernels, P, 0, m, 0, n);
    return;
  }
  const cpu::GemmBlocking& bl = kernels.blocking;
  const Grid grid = choose_grid(bl, m, n, k, threads);
  const size_t units_m = ceil_div(m, bl.mr), units_n = ceil_div(n, bl.nr);
  // Rectangle edges fall on tile boundaries (whole MR rows, NR columns), computed from the problem and the
  // thread count only.
  pool.parallel_chunks(grid.rows * grid.cols, grid.rows * grid.cols, [&](size_t chunk, size_t, size_t) {
    const size_t r = chunk / grid.cols, q = chunk % grid.cols;
    const size_t i0 = std::min(m, units_m * r / grid.rows * bl.mr);
    const size_t i1 = std::min(m, units_m * (r + 1) / grid.rows * bl.mr);
    const size_t j0 = std::min(n, units_n * q / grid.cols * bl.nr);
    const size_t j1 = std::min(n, units_n * (q + 1) / grid.cols * bl.nr);
    run_block(kernels, P, i0, i1, j0, j1);
  });
}

void gemm_f32(Transpose trans_a, Transpose trans_b, size_t m, size_t n, size_t k, float alpha, const float* a,
              size_t lda, const float* b, size_t ldb, float beta, float* c, size_t ldc, const GemmEpilogue* epilogue) {
  gemm_f32_with(cpu::kernels().gemm, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, epilogue);
}

}  // namespace reckit
