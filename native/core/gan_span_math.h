// The per-row math of the Gan's output spans and of the conditional loss (see gan_spans.h), written once
// and __host__ __device__ so the CPU (gan_spans.cpp) and the CUDA kernels (cuda/gan.cu) compute the same
// operations in the same order: max-shifted softmax with the sum in double, the softmax Jacobian-vector
// product with its dot in double, and one condition link's cross-entropy.
#pragma once
#include <math.h>
#include <stddef.h>

#include "core/philox.h"  // RECKIT_HD

namespace reckit {

// y = softmax(scale · (z + g)) over `width` values (g nullable: zero noise), max-shifted so exp never
// overflows; the normalizer is summed in double.
RECKIT_HD void span_softmax(const float* z, const float* g, size_t width, float scale, float* y) {
  float peak = -INFINITY;
  for (size_t j = 0; j < width; ++j) {
    const float v = scale * (z[j] + (g ? g[j] : 0.f));
    peak = peak < v ? v : peak;  // std::max's comparison, so a NaN behaves as on the CPU before
  }
  double total = 0.0;
  for (size_t j = 0; j < width; ++j) {
    y[j] = expf(scale * (z[j] + (g ? g[j] : 0.f)) - peak);
    total += y[j];
  }
  const float inv = static_cast<float>(1.0 / total);
  for (size_t j = 0; j < width; ++j) y[j] *= inv;
}

// dz_j = scale · y_j (dy_j − Σ_i y_i dy_i) over one softmax span (scale = 1/τ for Gumbel); gz may alias gy.
RECKIT_HD void span_softmax_backward(const float* y, const float* gy, size_t width, float scale, float* gz) {
  double dot = 0.0;
  for (size_t j = 0; j < width; ++j) dot += static_cast<double>(y[j]) * gy[j];
  const float d = static_cast<float>(dot);
  for (size_t j = 0; j < width; ++j) gz[j] = scale * y[j] * (gy[j] - d);
}

// The slot of the link's condition that is on (the first value > 0.5), or `width` when the row conditions
// on another column.
RECKIT_HD size_t condition_slot(const float* condition, size_t width) {
  for (size_t j = 0; j < width; ++j) {
    if (condition[j] > 0.5f) return j;
  }
  return width;
}

// One link of one row: −log softmax(z)[k] (p is scratch of `width` floats, left holding the softmax); when
// grad is not null adds scale · (p − onehot(k)) into it.
RECKIT_HD double condition_link_loss(const float* z, size_t width, size_t k, float scale, float* p, float* grad) {
  span_softmax(z, nullptr, width, 1.f, p);
  const float floor = p[k] < 1e-30f ? 1e-30f : p[k];  // std::max's comparison
  const double loss = -static_cast<double>(logf(floor));
  if (grad) {
    for (size_t j = 0; j < width; ++j) grad[j] += scale * (p[j] - (j == k ? 1.f : 0.f));
  }
  return loss;
}

}  // namespace reckit
