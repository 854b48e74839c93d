// Gan: a generator Mlp (noise ⊕ condition → data) and a discriminator Mlp (data ⊕ condition → one
// logit) trained with the non-saturating BCE-with-logits loss, optional one-sided label smoothing and
// dSteps discriminator updates per generator update; whole epochs run natively. All randomness comes
// from Philox keyed by (seed, stream) with streams derived from global step counters, so the same seed
// and thread count give the same weights bit for bit, also across save/load and resumed fits.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <vector>

#include "core/gan_spans.h"
#include "core/mlp.h"

namespace reckit {

struct GanConfig {
  size_t data_dim = 0, noise_dim = 0, condition_dim = 0;
  std::vector<LayerSpec> generator;      // hidden layers; Gan appends data_dim units of output_activation
  std::vector<LayerSpec> discriminator;  // hidden layers; Gan appends one linear logit
  Activation output_activation = Activation::Linear;
  // Per-span output activations (tabular rows): when set, the generator's last layer is linear and
  // these spans turn its logits into the row; output_activation must then stay Linear.
  std::vector<OutputSpan> output_spans;
  float tau = 0.2f;  // Gumbel-softmax temperature
  // Conditional-generator loss (CTGAN): which condition slots ask for which one-hot output span.
  std::vector<ConditionLink> condition_links;
  float condition_loss_weight = 1.f;
  // PacGAN packing: the discriminator scores `pac` rows (of one kind, real or fake) at once.
  size_t pac = 1;
  uint64_t seed = 0;
};

struct GanFitOptions {
  size_t epochs = 1;
  size_t batch_size = 64;
  float lr = 2e-4f, beta1 = 0.5f, beta2 = 0.999f;
  size_t d_steps = 1;           // discriminator updates (on consecutive batches) per generator update
  float label_smoothing = 0.f;  // real targets are 1 - label_smoothing
  // Train on the CUDA device (core/gan_device.cpp): the same batches, streams and counters as the CPU loop;
  // networks and Adam state stay on the device and come back into the Gan after every epoch and on stop.
  bool device = false;
};

// One epoch's means: discriminator loss (real + fake terms), generator loss, D's probabilities, and
// the conditional loss (0 without condition links).
struct GanProgress {
  uint64_t epoch;  // global index of the finished epoch (counts across fits)
  double d_loss, g_loss, d_real, d_fake, condition_loss;
};

// Philox streams under the Gan's seed. Step counters make every draw unique across the model's life.
namespace gan_streams {
constexpr uint64_t kGeneratorInit = 0x1000;
constexpr uint64_t kDiscriminatorInit = 0x2000;
constexpr uint64_t kShuffle = uint64_t{1} << 40;   // + epoch
constexpr uint64_t kNoise = uint64_t{2} << 40;     // + discriminator step (the G update reuses the last)
constexpr uint64_t kSample = uint64_t{4} << 40;    // + sample call
constexpr uint64_t kGumbel = uint64_t{8} << 40;    // + discriminator step (training's Gumbel noise)
constexpr uint64_t kGumbelOfSample = uint64_t{1} << 60;  // added to a sample's noise stream
constexpr uint64_t kGumbelOfGenerate = uint64_t{3} << 60;  // generate(): a fixed stream
}  // namespace gan_streams

class Gan {
 public:
  explicit Gan(GanConfig config);
  // Rebuilds a saved model (no fresh initialization is meaningful: parameters come from the file).
  Gan(GanConfig config, std::unique_ptr<Mlp> generator, std::unique_ptr<Mlp> discriminator);

  const GanConfig& config() const { return config_; }
  Mlp& generator() { return *generator_; }
  Mlp& discriminator() { return *discriminator_; }
  const Mlp& generator() const { return *generator_; }
  const Mlp& discriminator() const { return *discriminator_; }

  // Training counters (persisted so a loaded model resumes the same random streams).
  uint64_t epochs_done = 0, d_steps_done = 0, g_steps_done = 0;
  std::atomic<uint64_t> samples_drawn{0};

  // Trains on data [rows × data_dim] (+ conditions [rows × condition_dim] when condition_dim > 0),
  // taking the write lock per step (dSteps D updates + one G update). Inputs must be validated.
  // `cancel` is checked before each step; on_epoch runs after each whole epoch. Returns the epochs done.
  size_t fit(const float* data, const float* conditions, size_t rows, const GanFitOptions& options,
             const std::atomic<bool>* cancel, const std::function<void(const GanProgress&)>& on_epoch);

  // The generator on given noise [rows × noise_dim] and conditions [rows × condition_dim] (read lock).
  // Gumbel spans draw their noise from (seed, gumbel_stream).
  void generate(const float* noise, const float* conditions, size_t rows, float* out) const;
  void generate(const float* noise, const float* conditions, size_t rows, uint64_t seed, uint64_t gumbel_stream,
                float* out) const;
  // `rows` samples with noise from Philox (seed, stream); `condition` has condition_dim values shared
  // by every row, or rows × condition_dim when per_row.
  void sample(size_t rows, const float* condition, bool per_row, uint64_t seed, uint64_t stream, float* out) const;
  // The discriminator's logits for data [rows × data_dim] (+ conditions) (read lock): one per pack of
  // `pac` consecutive rows (rows must be a multiple of pac).
  void discriminate(const float* data, const float* conditions, size_t rows, float* out) const;

  std::shared_mutex& mutex() const { return mutex_; }
  // Makes a running fit stop before its next step (used by dispose()).
  void request_stop() { stop_.store(true); }
  bool stop_requested() const { return stop_.load(); }

 private:
  std::atomic<bool> stop_{false};
  GanConfig config_;
  std::unique_ptr<Mlp> generator_, discriminator_;
  mutable std::shared_mutex mutex_;
};

// Gan::fit's device path (core/gan_device.cpp); throws NoDevice when CUDA is not usable.
size_t fit_gan_device(Gan& gan, const float* data, const float* conditions, size_t rows, const GanFitOptions& options,
                      const std::atomic<bool>* cancel, const std::function<void(const GanProgress&)>& on_epoch);

// The fit's batch rows on either device: whole packs only, so the batch is rounded down to a multiple of pac (at
// least one pack), and so is the epoch's last batch (gan_gather_batch).
inline size_t gan_batch_rows(size_t batch_size, size_t rows, size_t pac) {
  return std::max(pac, std::min(batch_size, rows) / pac * pac);
}
// Copies batch `index` of the epoch's `order` (rows of data [rows × data_dim], conditions [rows × condition_dim])
// into real / cond; returns its row count (a multiple of pac, possibly 0 for a short last batch). Both fit loops
// (core/gan.cpp, core/gan_device.cpp) gather with it, so they see the same rows.
size_t gan_gather_batch(const GanConfig& config, const float* data, const float* conditions, const uint32_t* order,
                        size_t rows, size_t batch, size_t index, float* real, float* cond);

// The full layer lists (hidden + output) the Gan builds its networks from.
std::vector<LayerSpec> generator_layers(const GanConfig& config);
std::vector<LayerSpec> discriminator_layers(const GanConfig& config);
void validate_gan_config(const GanConfig& config);

}  // namespace reckit
