// Per-element optimizer updates (Adam, SGD with momentum) and their settings, written once so every
// backend applies the same arithmetic. Weight decay is the classic L2 form: g ← g + λ·w (as in
// torch.optim.Adam/SGD with weight_decay), applied before the moments.
#pragma once
#include <cmath>
#include <cstdint>

#include "core/philox.h"  // RECKIT_HD

namespace reckit {

enum class OptimizerKind { Adam = 0, Sgd = 1 };

struct OptimizerConfig {
  OptimizerKind kind = OptimizerKind::Adam;
  float lr = 1e-3f;
  float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;  // Adam
  float momentum = 0.f;                              // SGD
  float weight_decay = 0.f;
};

// The per-step constants of Adam step t (1-based), with the bias corrections computed once in double
// so long runs keep the exact factors.
struct AdamStep {
  float beta1, beta2, eps, weight_decay;
  float step_size;         // lr / (1 - beta1^t)
  float inv_sqrt_corr2;    // 1 / sqrt(1 - beta2^t)
};

inline AdamStep make_adam_step(const OptimizerConfig& c, uint64_t t) {
  const double corr1 = 1.0 - std::pow(static_cast<double>(c.beta1), static_cast<double>(t));
  const double corr2 = 1.0 - std::pow(static_cast<double>(c.beta2), static_cast<double>(t));
  return AdamStep{c.beta1, c.beta2, c.eps, c.weight_decay, static_cast<float>(c.lr / corr1),
                  static_cast<float>(1.0 / std::sqrt(corr2))};
}

// Adam (Kingma & Ba) arranged as PyTorch does: p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε),
// which equals p − lr · m̂ / (√v̂ + ε) with one division per element.
RECKIT_HD void adam_update(const AdamStep& s, float* p, float g, float* m, float* v) {
  g += s.weight_decay * *p;
  *m = s.beta1 * *m + (1.f - s.beta1) * g;
  *v = s.beta2 * *v + (1.f - s.beta2) * g * g;
  *p -= s.step_size * *m / (sqrtf(*v) * s.inv_sqrt_corr2 + s.eps);
}

// SGD with (heavy-ball) momentum: b ← μ·b + g; p ← p − lr·b. With μ = 0 the buffer is unused.
RECKIT_HD void sgd_update(const OptimizerConfig& c, float* p, float g, float* velocity) {
  g += c.weight_decay * *p;
  if (c.momentum != 0.f) {
    *velocity = c.momentum * *velocity + g;
    g = *velocity;
  }
  *p -= c.lr * g;
}

}  // namespace reckit
