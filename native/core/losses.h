// Per-element loss math shared by the CPU core and (later) CUDA kernels: BCE-with-logits and MSE.
// Each function returns the element's loss and writes dL/dz; callers scale by 1/N for a mean.
#pragma once
#include <cmath>

#include "core/philox.h"  // RECKIT_HD

namespace reckit {

enum class LossKind { BceWithLogits = 0, Mse = 1 };

// sigmoid without overflow for large |z|.
RECKIT_HD float stable_sigmoid(float z) {
  if (z >= 0.f) return 1.f / (1.f + expf(-z));
  const float e = expf(z);
  return e / (1.f + e);
}

// Binary cross-entropy of sigmoid(z) against target y in [0, 1], written in the log-sum-exp form
// max(z,0) - z·y + log(1 + e^-|z|) so that it never takes the log of 0. d/dz = sigmoid(z) - y.
RECKIT_HD float bce_with_logits(float z, float y, float* grad) {
  *grad = stable_sigmoid(z) - y;
  return fmaxf(z, 0.f) - z * y + log1pf(expf(-fabsf(z)));
}

// Squared error (z - y)²; d/dz = 2(z - y).
RECKIT_HD float squared_error(float z, float y, float* grad) {
  const float d = z - y;
  *grad = 2.f * d;
  return d * d;
}

RECKIT_HD float loss_element(LossKind kind, float z, float y, float* grad) {
  return kind == LossKind::BceWithLogits ? bce_with_logits(z, y, grad) : squared_error(z, y, grad);
}

}  // namespace reckit
