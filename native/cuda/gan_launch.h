// Device-pointer launchers of the Gan's own kernels (gan_kernels.cu), used by the resident Gan (gan.cu) and CFGAN
// (cfgan.cu).
#pragma once
#include <cstddef>
#include <cstdint>

namespace reckit::cuda {

// An output span as the kernels read it: kind 0 linear, 1 tanh, 2 softmax, 3 Gumbel-softmax (core SpanKind order).
struct DeviceSpan {
  uint32_t kind;
  size_t start, width;
};

// Condition slots [condition_start, +width) ask for the one-hot data span [data_start, +width).
struct DeviceLink {
  size_t condition_start, data_start, width;
};

// out[r] = a[r] ⊕ b[r] for `rows` rows (cb may be 0): also PacGAN's packing, since packs are contiguous rows.
void launch_concat_rows(const float* a, size_t ca, const float* b, size_t cb, size_t rows, float* out);
// out (rows × cols) = the first cols values of each row of in (rows × in_width).
void launch_leading_columns(const float* in, size_t in_width, size_t cols, size_t rows, float* out);
// y = spans(z) (core/gan_spans.h's spans_forward); gumbel (rows × dim) or null.
void launch_spans_forward(const DeviceSpan* spans, size_t count, float tau, const float* z, const float* gumbel,
                          size_t rows, size_t dim, float* y);
// grad ← (d y / d z)ᵀ · grad in place (spans_backward), from the forward's output y.
void launch_spans_backward(const DeviceSpan* spans, size_t count, float tau, const float* y, size_t rows, size_t dim,
                           float* grad);
// core/gan_spans.h's condition_loss: weight / rows × the gradient added into grad; *total (device) receives the
// sum over rows (the caller divides by rows). p: rows × dim scratch, row_loss: rows doubles of scratch.
void launch_condition_loss(const DeviceLink* links, size_t count, const float* z, const float* conditions, size_t rows,
                           size_t dim, size_t condition_dim, float weight, float* p, float* grad, double* row_loss,
                           double* total);
// *total (device) = Σ values[i] over n doubles (device), in one block's fixed tree.
void launch_sum_doubles(const double* values, size_t n, double* total);
// BCE with logits against a constant target: grad = the mean loss's gradient; sums[0] (device) = Σ loss,
// sums[1] = Σ sigmoid(logit).
void launch_bce_constant(const float* logits, size_t n, float target, float* grad, double* sums);

}  // namespace reckit::cuda
