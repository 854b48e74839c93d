// Tiled float32 GEMM with the fused epilogue, row-major like the CPU's (core/gemm.h):
//   C[m×n] = act(alpha · op(A) · op(B) + beta · C + bias),  op(X) = X or Xᵀ (transposes come from the tile loads).
// A block computes a kTile × kTile tile of C from kDepth-deep slices of op(A) and op(B) staged in shared memory;
// each of its 16 × 16 threads keeps a kMicro × kMicro block of C in registers. The activation is the
// header shared with the CPU (core/activations.h). beta == 0 never reads C (it may hold NaNs).
#include "core/activations.h"
#include "cuda/cuda_common.h"
#include "cuda/training_launch.h"

namespace {

constexpr unsigned kTile = 64;
constexpr unsigned kDepth = 16;
constexpr unsigned kSide = 16;  // threads per side of a block
constexpr unsigned kMicro = kTile / kSide;
constexpr unsigned kThreads = kSide * kSide;

struct GemmArgs {
  bool trans_a, trans_b;
  size_t m, n, k;
  float alpha, beta;
  const float* a;
  size_t lda;
  const float* b;
  size_t ldb;
  float* c;
  size_t ldc;
  const float* bias;  // n values or null
  reckit::Activation activation;
  float slope;
};

// op(A)[i][p] and op(B)[p][j], zero outside the matrices (the tails of the last tiles).
__device__ __forceinline__ float load_a(const GemmArgs& g, size_t i, size_t p) {
  if (i >= g.m || p >= g.k) return 0.0f;
  return g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
}
__device__ __forceinline__ float load_b(const GemmArgs& g, size_t p, size_t j) {
  if (p >= g.k || j >= g.n) return 0.0f;
  return g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
}

__global__ void __launch_bounds__(kThreads) gemm_kernel(GemmArgs g) {
  __shared__ float a_tile[kDepth][kTile + 1];  // a_tile[p][i] = op(A)[row0 + i][p0 + p]
  __shared__ float b_tile[kDepth][kTile + 1];  // b_tile[p][j] = op(B)[p0 + p][col0 + j]
  const unsigned tx = threadIdx.x % kSide, ty = threadIdx.x / kSide;
  const size_t row0 = static_cast<size_t>(blockIdx.y) * kTile, col0 = static_cast<size_t>(blockIdx.x) * kTile;
  float acc[kMicro][kMicro] = {};
  for (size_t p0 = 0; p0 < g.k; p0 += kDepth) {
    for (unsigned e = threadIdx.x; e < kDepth * kTile; e += kThreads) {
      // Consecutive threads walk the stored matrix's contiguous dimension, whichever layout it has.
      const unsigned p = g.trans_a ? e / kTile : e % kDepth, i = g.trans_a ? e % kTile : e / kDepth;
      a_tile[p][i] = load_a(g, row0 + i, p0 + p);
      const unsigned q = g.trans_b ? e % kDepth : e / kTile, j = g.trans_b ? e / kDepth : e % kTile;
      b_tile[q][j] = load_b(g, p0 + q, col0 + j);
    }
    __syncthreads();
    for (unsigned p = 0; p < kDepth; ++p) {
      float av[kMicro], bv[kMicro];
      for (unsigned u = 0; u < kMicro; ++u) {
        av[u] = a_tile[p][ty + u * kSide];
        bv[u] = b_tile[p][tx + u * kSide];
      }
      for (unsigned u = 0; u < kMicro; ++u)
        for (unsigned v = 0; v < kMicro; ++v) acc[u][v] += av[u] * bv[v];
    }
    __syncthreads();
  }
  for (unsigned u = 0; u < kMicro; ++u) {
    const size_t i = row0 + ty + u * kSide;
    if (i >= g.m) continue;
    for (unsigned v = 0; v < kMicro; ++v) {
      const size_t j = col0 + tx + v * kSide;
      if (j >= g.n) continue;
      float x = g.alpha * acc[u][v];
      if (g.beta != 0.0f) x += g.beta * g.c[i * g.ldc + j];
      if (g.bias) x += g.bias[j];
      g.c[i * g.ldc + j] = reckit::activation_forward(g.activation, x, g.slope);
    }
  }
}

// Elements spanned by a row-major matrix of `rows` rows of `cols` used values with row stride ld.
size_t span(size_t rows, size_t cols, size_t ld) { return rows == 0 ? 0 : (rows - 1) * ld + cols; }

}  // namespace

namespace reckit::cuda {

void launch_gemm(bool trans_a, bool trans_b, size_t m, size_t n, size_t k, float alpha, const float* a, size_t lda,
                 const float* b, size_t ldb, float beta, float* c, size_t ldc, const float* bias,
                 reckit::Activation activation, float slope) {
  if (m == 0 || n == 0) return;
  if ((m + kTile - 1) / kTile > 65535) invalid("m too large for one launch");
  GemmArgs g{trans_a, trans_b, m, n, k, alpha, beta, a, lda, b, ldb, c, ldc, bias, activation, slope};
  const dim3 grid(blocks_for(n, kTile), blocks_for(m, kTile));
  RECKIT_LAUNCH(gemm_kernel, grid, kThreads, 0, nullptr, g);
  check_launch("gemm_kernel");
}

}  // namespace reckit::cuda

RECKIT_CUDA_EXPORT int reckit_cuda_gemm_f32(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                                            const float* a, size_t lda, const float* b, size_t ldb, float beta,
                                            float* c, size_t ldc, const float* bias, int activation, float slope,
                                            char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    if (activation < 0 || activation > 4) invalid("activation must be 0..4 (linear, relu, leaky_relu, tanh, sigmoid)");
    const size_t a_rows = trans_a ? k : m, a_cols = trans_a ? m : k;
    const size_t b_rows = trans_b ? n : k, b_cols = trans_b ? k : n;
    if ((a_cols && lda < a_cols) || (b_cols && ldb < b_cols) || (n && ldc < n)) invalid("a row stride is below its row length");
    if (m == 0 || n == 0) return;
    if ((m + kTile - 1) / kTile > 65535) invalid("m too large for one launch");
    DeviceBuffer<float> d_a(a, span(a_rows, a_cols, lda), "cudaMalloc(A)");
    DeviceBuffer<float> d_b(b, span(b_rows, b_cols, ldb), "cudaMalloc(B)");
    DeviceBuffer<float> d_bias(bias, bias ? n : 0, "cudaMalloc(bias)");
    const size_t c_span = span(m, n, ldc);
    DeviceBuffer<float> d_c(c_span, "cudaMalloc(C)");
    // Strided C: the gaps between rows must come back unchanged, so C goes up whole even when beta == 0.
    check(cudaMemcpy(d_c.get(), c, c_span * sizeof(float), cudaMemcpyHostToDevice), "copy C to device");
    GemmArgs g{trans_a != 0, trans_b != 0, m, n, k, alpha, beta, d_a.get(), lda, d_b.get(), ldb, d_c.get(), ldc,
               bias ? d_bias.get() : nullptr, static_cast<reckit::Activation>(activation), slope};
    const dim3 grid(blocks_for(n, kTile), blocks_for(m, kTile));
    RECKIT_LAUNCH(gemm_kernel, grid, kThreads, 0, nullptr, g);
    check_launch("gemm_kernel");
    d_c.copy_to_host(c, c_span);
  });
}
