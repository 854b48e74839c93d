// CFGAN (Chae et al., CIKM 2018): a collaborative-filtering GAN over purchase vectors. The generator maps
// noise ⊕ a user's condition (their purchase vector e_u) to a vector of item scores in (0, 1); the
// discriminator judges real (e_u) against generated vectors given the same condition. Two devices from
// the paper keep the generator from the trivial all-ones answer:
//  - partial masking (PM): the discriminator sees the generated vector only on the user's purchases plus
//    a fresh random sample of pm_ratio of their non-purchased items (r̂_u ⊙ (e_u + k_u));
//  - zero reconstruction (ZR): the generator pays zr_weight · Σ r̂_uj² over a random zr_ratio sample of
//    the non-purchased items, so unseen items are pushed towards 0.
// Whole epochs run natively under the write lock per step; all randomness is Philox keyed by (seed,
// stream) with streams derived from the step counters, so a seed and a thread count fix the weights.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <vector>

#include "core/mlp.h"

namespace reckit {

struct CfganConfig {
  size_t items = 0, noise_dim = 0;   // noise_dim may be 0 (the generator then sees only the condition)
  std::vector<LayerSpec> generator;      // hidden layers; CFGAN appends `items` sigmoid units
  std::vector<LayerSpec> discriminator;  // hidden layers; CFGAN appends one linear logit
  uint64_t seed = 0;
};

struct CfganFitOptions {
  size_t epochs = 1;
  size_t batch_size = 64;
  float lr = 1e-4f, beta1 = 0.5f, beta2 = 0.999f;
  size_t d_steps = 1;        // discriminator updates (consecutive batches) per generator update
  float pm_ratio = 0.5f;     // share of non-purchased items the discriminator sees (partial masking)
  float zr_ratio = 0.5f;     // share of non-purchased items pulled to 0 (zero reconstruction)
  float zr_weight = 0.1f;    // α of the ZR term
  // Train on the CUDA device (core/cfgan_device.cpp): the same batches, draws and counters as the CPU loop.
  bool device = false;
};

struct CfganProgress {
  uint64_t epoch;       // global index of the finished epoch
  double d_loss, g_loss, zr_loss;  // epoch means: D's BCE (real + fake), G's adversarial BCE, the ZR term
};

// A user × item purchase matrix in CSR form (offsets has users + 1 entries; items are 0-based indices).
struct PurchaseCsr {
  const int32_t* offsets = nullptr;
  const int32_t* items = nullptr;
  size_t users = 0;
};

namespace cfgan_streams {
constexpr uint64_t kGeneratorInit = 0x1000;
constexpr uint64_t kDiscriminatorInit = 0x2000;
constexpr uint64_t kShuffle = uint64_t{1} << 40;  // + epoch
constexpr uint64_t kNoise = uint64_t{2} << 40;    // + discriminator step
constexpr uint64_t kMask = uint64_t{3} << 40;     // + discriminator step (PM and ZR draws)
}  // namespace cfgan_streams

class Cfgan {
 public:
  explicit Cfgan(CfganConfig config);
  // Rebuilds a trained model from its parameters (Mlp layout); throws DIM_MISMATCH on wrong lengths.
  Cfgan(CfganConfig config, const float* generator, size_t generator_count, const float* discriminator,
        size_t discriminator_count);

  const CfganConfig& config() const { return config_; }
  const Mlp& generator() const { return *generator_; }
  const Mlp& discriminator() const { return *discriminator_; }
  Mlp& generator() { return *generator_; }
  Mlp& discriminator() { return *discriminator_; }

  uint64_t epochs_done = 0, d_steps_done = 0, g_steps_done = 0;

  // Trains on the purchase matrix (validated by the caller: offsets monotone, items in range, users ≥ 1).
  size_t fit(const PurchaseCsr& data, const CfganFitOptions& options, const std::atomic<bool>* cancel,
             const std::function<void(const CfganProgress&)>& on_epoch);

  // Generator scores (noise = 0, the noise distribution's mean) for `count` users given by index into
  // `data`: out is count × items. Read lock; the users' conditions come from `data`.
  void score(const PurchaseCsr& data, const int32_t* users, size_t count, float* out) const;

  std::shared_mutex& mutex() const { return mutex_; }
  void request_stop() { stop_.store(true); }
  bool stop_requested() const { return stop_.load(); }

 private:
  std::atomic<bool> stop_{false};
  CfganConfig config_;
  std::unique_ptr<Mlp> generator_, discriminator_;
  mutable std::shared_mutex mutex_;
};

// The host part of a D update (both devices): for the b users of the epoch's order starting at `users`, their
// purchase vectors (cond, b x items), the noise (b x noise_dim) and uniform draws (2 b x items) of D step d_step,
// the PM / ZR masks (b x items) and the generator's input noise ⊕ cond (g_in).
void cfgan_draw_batch(const CfganConfig& config, const PurchaseCsr& data, const uint32_t* users, size_t b,
                      uint64_t d_step, const CfganFitOptions& options, float* cond, float* noise, float* draws,
                      float* pm, float* zr, float* g_in);

// Cfgan::fit's device path (core/cfgan_device.cpp); throws NoDevice when CUDA is not usable.
size_t fit_cfgan_device(Cfgan& model, const PurchaseCsr& data, const CfganFitOptions& options,
                        const std::atomic<bool>* cancel, const std::function<void(const CfganProgress&)>& on_epoch);

void validate_cfgan_config(const CfganConfig& config);
std::vector<LayerSpec> cfgan_generator_layers(const CfganConfig& config);
std::vector<LayerSpec> cfgan_discriminator_layers(const CfganConfig& config);

}  // namespace reckit
