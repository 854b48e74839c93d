// Mlp: a stack of dense layers y = act(x·W + b), forward through the GEMM's fused bias+activation
// epilogue, backward through its transposed variants, with Adam/SGD state. Gan and the supervised
// trainer build on it. Layout: layer l has W_l [in_l × out_l] row-major then b_l [out_l], one flat
// float array for all layers (the order of parameters() in JS); gradients and optimizer moments
// share that layout. Forward state lives in a Workspace owned by the caller, so predictions on a
// shared model need only a read lock.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/gemm.h"
#include "core/losses.h"
#include "core/optimizers.h"

namespace reckit {

struct LayerSpec {
  size_t units = 0;
  Activation activation = Activation::Linear;
  float slope = 0.01f;  // leaky_relu's α; ignored otherwise
};

// "relu", "leaky_relu", ... -> Activation; throws ERR_RECKIT_INVALID_ARG on an unknown name.
Activation activation_from_name(const std::string& name);
const char* activation_name(Activation activation);
// Checks a layer list (units in [1, kMaxUnits], α in [0, 1]); throws with the layer's index.
void validate_layers(size_t input, const std::vector<LayerSpec>& layers);

constexpr size_t kMaxUnits = size_t{1} << 20;

// Per-batch activations: acts[l] is layer l's output [rows × units_l]; two scratch buffers carry the
// gradient between layers during backward.
struct MlpWorkspace {
  size_t rows = 0;
  std::vector<std::vector<float>> acts;
  std::vector<float> delta, carry;
  std::vector<float> input;  // a copy of the input, when the caller asked forward to keep one
};

class Mlp {
 public:
  // Initializes W and b uniformly in ±1/√in (PyTorch's nn.Linear default) from Philox keyed by
  // (seed, stream_base + 2l) for W_l and (seed, stream_base + 2l + 1) for b_l.
  Mlp(size_t input, std::vector<LayerSpec> layers, uint64_t seed, uint64_t stream_base = 0);

  size_t input_dim() const { return input_; }
  size_t output_dim() const { return layers_.back().units; }
  size_t max_width() const;
  const std::vector<LayerSpec>& layers() const { return layers_; }
  size_t layer_in(size_t l) const { return l == 0 ? input_ : layers_[l - 1].units; }
  size_t weight_offset(size_t l) const { return offsets_[l]; }
  size_t bias_offset(size_t l) const { return offsets_[l] + layer_in(l) * layers_[l].units; }
  size_t parameter_count() const { return params_.size(); }

  float* parameters() { return params_.data(); }
  const float* parameters() const { return params_.data(); }
  float* gradients() { return grads_.data(); }
  const float* gradients() const { return grads_.data(); }

  // Sizes ws for `rows` (allocates only when it grows).
  void prepare(MlpWorkspace& ws, size_t rows) const;
  // Runs x [rows × input] through every layer; the output is ws.acts.back().
  void forward(const float* x, size_t rows, MlpWorkspace& ws) const;
  // Backpropagates grad_out [ws.rows × output] (dL/d output) through the activations of the last
  // forward of `x`. With param_grads, writes (or with accumulate, adds) dL/dθ into gradients();
  // grad_input (nullable) receives dL/dx [rows × input].
  void backward(const float* x, MlpWorkspace& ws, const float* grad_out, float* grad_input, bool param_grads,
                bool accumulate);

  // One optimizer update of every parameter from gradients(); moments are created on first use.
  void step(const OptimizerConfig& config);
  uint64_t adam_steps() const { return adam_t_; }

  // Optimizer state, for persistence: empty vectors when never used.
  std::vector<float>& adam_m() { return adam_m_; }
  std::vector<float>& adam_v() { return adam_v_; }
  std::vector<float>& velocity() { return velocity_; }
  const std::vector<float>& adam_m() const { return adam_m_; }
  const std::vector<float>& adam_v() const { return adam_v_; }
  const std::vector<float>& velocity() const { return velocity_; }
  void set_adam_steps(uint64_t t) { adam_t_ = t; }
  void reset_optimizer();

  // Concurrent reads (predict, save), exclusive writes (training, setParameters).
  std::shared_mutex& mutex() const { return mutex_; }

 private:
  size_t input_;
  std::vector<LayerSpec> layers_;
  std::vector<size_t> offsets_;
  std::vector<float> params_, grads_;
  std::vector<float> adam_m_, adam_v_, velocity_;
  uint64_t adam_t_ = 0;
  mutable std::shared_mutex mutex_;
};

// Mean loss over n elements and, if grad is non-null, dL/dz = loss'(z, y) · scale (scale = 1/n for
// the mean's gradient). Accumulates in double; the order is fixed, so results are deterministic.
double loss_and_grad(LossKind kind, const float* z, const float* y, size_t n, float* grad, float scale);

// Supervised training: epochs of shuffled mini-batches (the last one may be smaller).
struct TrainOptions {
  size_t epochs = 1;
  size_t batch_size = 32;
  LossKind loss = LossKind::Mse;
  OptimizerConfig optimizer;
  bool shuffle = true;
  uint64_t seed = 0;  // shuffling order: Philox (seed, epoch)
  // Train on the CUDA device (core/mlp_device.cpp): the same mini-batches in the same order; parameters and
  // optimizer state stay on the device during the run and are copied back after every epoch (and on abort).
  bool device = false;
};

// Called after each epoch with (epoch index, mean loss); returning false stops after that epoch.
using EpochCallback = std::function<bool(size_t epoch, double loss)>;

// Trains `mlp` on x [rows × input], y [rows × output], taking its write lock per mini-batch. Returns the
// mean loss of each completed epoch. `cancel` is checked between mini-batches: an aborted run keeps
// the updates of every whole mini-batch done so far.
std::vector<double> train_mlp(Mlp& mlp, const float* x, const float* y, size_t rows, const TrainOptions& options,
                              const std::atomic<bool>* cancel, const EpochCallback& on_epoch);

// train_mlp's device path (core/mlp_device.cpp); throws NoDevice when CUDA is not usable.
std::vector<double> train_mlp_device(Mlp& mlp, const float* x, const float* y, size_t rows, const TrainOptions& options,
                                     const std::atomic<bool>* cancel, const EpochCallback& on_epoch);

// Fisher-Yates permutation of [0, n) from Philox (seed, stream): the same order on every machine.
void philox_permutation(uint32_t* out, size_t n, uint64_t seed, uint64_t stream);

// The row order of train_mlp's epoch `epoch` (either path, so CPU and device see the same batches): the Philox
// permutation (seed, epoch) when options.shuffle, else 0..rows-1. `order` holds rows values.
void epoch_order(uint32_t* order, size_t rows, const TrainOptions& options, size_t epoch);

}  // namespace reckit
