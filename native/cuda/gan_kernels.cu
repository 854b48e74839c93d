// The Gan's own math on the GPU (core/gan.cpp, core/gan_spans.cpp are the reference): row concatenation
// (which is also PacGAN's packing: b rows of w values are read as b / pac rows of pac · w), the output spans
// forward and backward, the conditional cross-entropy and its gradient, and the BCE-with-logits terms against
// a constant target. Per-row math comes from core/gan_span_math.h, the per-element loss from core/losses.h,
// so both backends do the same operations in the same order within a row; sums over rows are reduced in
// double in a fixed tree (deterministic, and within rounding of the CPU's sequential sums).
#include "core/gan_span_math.h"
#include "core/losses.h"
#include "cuda/block_sum.cuh"
#include "cuda/cuda_common.h"
#include "cuda/gan_launch.h"

namespace {

using reckit::cuda::block_tree_sum;
using reckit::cuda::blocks_for;
using reckit::cuda::check_launch;
using reckit::cuda::DeviceLink;
using reckit::cuda::DeviceSpan;

constexpr unsigned kThreads = 128;
constexpr unsigned kReduceThreads = 128;  // one block: the batch's rows are few, and one block keeps the order fixed

// out[r] = a[r] ⊕ b[r] (cb may be 0): a thread per output value.
__global__ void __launch_bounds__(kThreads)
    concat_rows_kernel(const float* a, size_t ca, const float* b, size_t cb, size_t rows, float* out) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t width = ca + cb;
  if (i >= rows * width) return;
  const size_t r = i / width, j = i % width;
  out[i] = j < ca ? a[r * ca + j] : b[r * cb + (j - ca)];
}

// out[r][0, cols) = in[r][0, cols) of rows `in_width` wide.
__global__ void __launch_bounds__(kThreads)
    leading_columns_kernel(const float* in, size_t in_width, size_t cols, size_t rows, float* out) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * cols) return;
  out[i] = in[(i / cols) * in_width + i % cols];
}

// The span kernels run a thread per (row, span): this thread's span and where it starts in the row-major data
// (rows × dim); false for the grid's tail threads.
__device__ __forceinline__ bool span_of_thread(const DeviceSpan* spans, size_t count, size_t rows, size_t dim,
                                               DeviceSpan* span, size_t* at) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * count) return false;
  *span = spans[i % count];
  *at = (i / count) * dim + span->start;
  return true;
}

// A thread per (row, span): y = spans(z), Gumbel spans reading their noise from g (null: zero noise).
__global__ void __launch_bounds__(kThreads)
    spans_forward_kernel(const DeviceSpan* spans, size_t count, float tau, const float* z, const float* g, size_t rows,
                         size_t dim, float* y) {
  DeviceSpan s;
  size_t at;
  if (!span_of_thread(spans, count, rows, dim, &s, &at)) return;
  switch (s.kind) {
    case 0:  // linear
      for (size_t j = 0; j < s.width; ++j) y[at + j] = z[at + j];
      break;
    case 1:  // tanh
      for (size_t j = 0; j < s.width; ++j) y[at + j] = tanhf(z[at + j]);
      break;
    case 2: reckit::span_softmax(z + at, nullptr, s.width, 1.f, y + at); break;
    default: reckit::span_softmax(z + at, g ? g + at : nullptr, s.width, 1.f / tau, y + at); break;
  }
}

// A thread per (row, span): grad ← (d y / d z)ᵀ · grad in place, from the forward's output y.
__global__ void __launch_bounds__(kThreads)
    spans_backward_kernel(const DeviceSpan* spans, size_t count, float tau, const float* y, size_t rows, size_t dim,
                          float* grad) {
  DeviceSpan s;
  size_t at;
  if (!span_of_thread(spans, count, rows, dim, &s, &at)) return;
  switch (s.kind) {
    case 0: break;  // linear: the gradient passes unchanged
    case 1:
      for (size_t j = 0; j < s.width; ++j) grad[at + j] *= 1.f - y[at + j] * y[at + j];
      break;
    case 2: reckit::span_softmax_backward(y + at, grad + at, s.width, 1.f, grad + at); break;
    default: reckit::span_softmax_backward(y + at, grad + at, s.width, 1.f / tau, grad + at); break;
  }
}

// A thread per row: the row's conditional cross-entropy over the links in order into row_loss[r], weight / rows ×
// its gradient added into grad (the links of one row run in one thread, so two links on one span add in order).
// p is rows × dim scratch for the softmax.
__global__ void __launch_bounds__(kThreads)
    condition_loss_kernel(const DeviceLink* links, size_t count, const float* z, const float* conditions, size_t rows,
                          size_t dim, size_t condition_dim, float scale, float* p, float* grad, double* row_loss) {
  const size_t r = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  double total = 0.0;
  for (size_t l = 0; l < count; ++l) {
    const DeviceLink link = links[l];
    const size_t k = reckit::condition_slot(conditions + r * condition_dim + link.condition_start, link.width);
    if (k == link.width) continue;
    const size_t at = r * dim + link.data_start;
    total += reckit::condition_link_loss(z + at, link.width, k, scale, p + at, grad + at);
  }
  row_loss[r] = total;
}

// One block: out[0] = Σ values[i] in a fixed tree (each thread a fixed stride of values, then halving).
__global__ void __launch_bounds__(kReduceThreads) sum_doubles_kernel(const double* values, size_t n, double* out) {
  __shared__ double sums[kReduceThreads];
  double local = 0.0;
  for (size_t i = threadIdx.x; i < n; i += kReduceThreads) local += values[i];
  const double total = block_tree_sum<kReduceThreads>(sums, local);
  if (threadIdx.x == 0) *out = total;
}

// One block: BCE with logits of n logits against a constant target. grad[i] = dL_i/dz · (1/n) (the mean's
// gradient, as the CPU's bce_constant), out[0] = Σ loss_i, out[1] = Σ sigmoid(z_i).
__global__ void __launch_bounds__(kReduceThreads)
    bce_constant_kernel(const float* logits, size_t n, float target, float* grad, double* out) {
  __shared__ double losses[kReduceThreads];
  __shared__ double probs[kReduceThreads];
  const float scale = 1.f / static_cast<float>(n);
  double loss = 0.0, prob = 0.0;
  for (size_t i = threadIdx.x; i < n; i += kReduceThreads) {
    float g;
    loss += reckit::bce_with_logits(logits[i], target, &g);
    grad[i] = g * scale;
    prob += reckit::stable_sigmoid(logits[i]);
  }
  // Two trees, each adding in the same order as one tree over both would.
  const double loss_sum = block_tree_sum<kReduceThreads>(losses, loss);
  const double prob_sum = block_tree_sum<kReduceThreads>(probs, prob);
  if (threadIdx.x == 0) {
    out[0] = loss_sum;
    out[1] = prob_sum;
  }
}

}  // namespace

namespace reckit::cuda {

void launch_concat_rows(const float* a, size_t ca, const float* b, size_t cb, size_t rows, float* out) {
  const size_t n = rows * (ca + cb);
  if (n == 0) return;
  RECKIT_LAUNCH(concat_rows_kernel, blocks_for(n, kThreads), kThreads, 0, nullptr, a, ca, b, cb, rows, out);
  check_launch("concat_rows_kernel");
}

void launch_leading_columns(const float* in, size_t in_width, size_t cols, size_t rows, float* out) {
  if (rows * cols == 0) return;
  RECKIT_LAUNCH(leading_columns_kernel, blocks_for(rows * cols, kThreads), kThreads, 0, nullptr, in, in_width, cols,
                rows, out);
  check_launch("leading_columns_kernel");
}

void launch_spans_forward(const DeviceSpan* spans, size_t count, float tau, const float* z, const float* gumbel,
                          size_t rows, size_t dim, float* y) {
  if (rows * count == 0) return;
  RECKIT_LAUNCH(spans_forward_kernel, blocks_for(rows * count, kThreads), kThreads, 0, nullptr, spans, count, tau, z,
                gumbel, rows, dim, y);
  check_launch("spans_forward_kernel");
}

void launch_spans_backward(const DeviceSpan* spans, size_t count, float tau, const float* y, size_t rows, size_t dim,
                           float* grad) {
  if (rows * count == 0) return;
  RECKIT_LAUNCH(spans_backward_kernel, blocks_for(rows * count, kThreads), kThreads, 0, nullptr, spans, count, tau, y,
                rows, dim, grad);
  check_launch("spans_backward_kernel");
}

void launch_condition_loss(const DeviceLink* links, size_t count, const float* z, const float* conditions, size_t rows,
                           size_t dim, size_t condition_dim, float weight, float* p, float* grad, double* row_loss,
                           double* total) {
  if (rows == 0) return;
  const float scale = weight / static_cast<float>(rows);
  RECKIT_LAUNCH(condition_loss_kernel, blocks_for(rows, kThreads), kThreads, 0, nullptr, links, count, z, conditions,
                rows, dim, condition_dim, scale, p, grad, row_loss);
  check_launch("condition_loss_kernel");
  launch_sum_doubles(row_loss, rows, total);
}

void launch_sum_doubles(const double* values, size_t n, double* total) {
  RECKIT_LAUNCH(sum_doubles_kernel, 1, kReduceThreads, 0, nullptr, values, n, total);
  check_launch("sum_doubles_kernel");
}

void launch_bce_constant(const float* logits, size_t n, float target, float* grad, double* sums) {
  RECKIT_LAUNCH(bce_constant_kernel, 1, kReduceThreads, 0, nullptr, logits, n, target, grad, sums);
  check_launch("bce_constant_kernel");
}

}  // namespace reckit::cuda
