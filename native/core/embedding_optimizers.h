// The per-element sparse optimizer updates of EmbeddingTable, written once for the CPU and a future
// CUDA backend (RECKIT_HD). The table applies them only to rows a batch touches, once per unique row,
// with that row's summed gradient g. Weight decay is the L2 form (PyTorch's `weight_decay`): g += wd·w,
// so untouched rows do not decay (the sparse convention).
//   SGD:     w -= lr·g
//   Adagrad: G += g²;  w -= lr·g / (√G + eps)                              (PyTorch Adagrad, lr_decay 0)
//   Adam:    lazy Adam: each row has its own step count t_r, incremented when the row is touched, and the
//            bias corrections use t_r (TensorFlow's LazyAdam / PyTorch SparseAdam convention):
//            m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//            w -= (lr / (1−β1^t_r)) · m / (√v / √(1−β2^t_r) + eps)          (PyTorch Adam's arrangement)
#pragma once
#include <cmath>
#include <cstdint>

#include "core/philox.h"  // RECKIT_HD

namespace reckit {

enum class SparseOptimizer { Sgd = 0, Adagrad = 1, Adam = 2 };

struct SparseOptimizerConfig {
  SparseOptimizer kind = SparseOptimizer::Sgd;
  float lr = 0.01f;
  float weight_decay = 0.f;
  float eps = 1e-8f;   // Adagrad default 1e-10, Adam 1e-8 (set by the caller)
  float beta1 = 0.9f;
  float beta2 = 0.999f;
};

RECKIT_HD float sgd_update(float w, float g, float lr, float weight_decay) {
  g += weight_decay * w;
  return w - lr * g;
}

RECKIT_HD float adagrad_update(float w, float g, float* sum_sq, float lr, float eps, float weight_decay) {
  g += weight_decay * w;
  const float s = *sum_sq + g * g;
  *sum_sq = s;
  return w - lr * g / (sqrtf(s) + eps);
}

// Bias corrections of step t (computed in double once per row: β^t loses precision in float for large t).
struct AdamCorrection {
  float step_size;        // lr / (1 − β1^t)
  float inv_sqrt_bc2;     // 1 / √(1 − β2^t)
};

RECKIT_HD AdamCorrection adam_correction(uint32_t t, float lr, float beta1, float beta2) {
  const double bc1 = 1.0 - pow(static_cast<double>(beta1), static_cast<double>(t));
  const double bc2 = 1.0 - pow(static_cast<double>(beta2), static_cast<double>(t));
  return AdamCorrection{static_cast<float>(lr / bc1), static_cast<float>(1.0 / sqrt(bc2))};
}

RECKIT_HD float adam_update(float w, float g, float* m, float* v, const AdamCorrection& c, float beta1, float beta2,
                            float eps, float weight_decay) {
  g += weight_decay * w;
  const float m1 = beta1 * *m + (1.f - beta1) * g;
  const float v1 = beta2 * *v + (1.f - beta2) * g * g;
  *m = m1;
  *v = v1;
  return w - c.step_size * m1 / (sqrtf(v1) * c.inv_sqrt_bc2 + eps);
}

}  // namespace reckit
