// The resident device copy of an Mlp (mlp_device.cpp): a reckit_cuda_mlp handle holding the parameters, the
// gradients and the optimizer state on the CUDA device for the model's life, created lazily by its first device
// call. The host Mlp is a mirror: a host change (setParameters, a CPU step or training run, loading state) bumps
// host_changed() and the next device call re-uploads everything once (the CosineIndex's generation counter, see
// docs/cuda.md); device calls that change the model set `ahead`, and pull() copies the device's state into the host
// Mlp before anything reads it there (parameters(), save, a CPU call). Every member function expects the Mlp's
// exclusive lock to be held.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/cuda_loader.h"
#include "core/mlp.h"

namespace reckit {

class MlpDevice {
 public:
  // Throws NoDevice (with the reason) when CUDA is not usable. Allocates nothing yet.
  explicit MlpDevice(Mlp& mlp);
  ~MlpDevice();
  MlpDevice(const MlpDevice&) = delete;
  MlpDevice& operator=(const MlpDevice&) = delete;

  // The host's parameters or optimizer state changed (pull() first if the device may be ahead).
  void host_changed() { ++host_generation_; }
  // Copies the device's parameters, gradients and optimizer state into the host Mlp when the device is ahead.
  void pull();
  // Frees the device memory (after a pull, so nothing is lost); the next device call uploads again.
  void release();
  bool resident() const { return handle_ != nullptr; }

  // The Mlp's forward on the device, keeping what backward() needs there.
  void forward(const float* x, size_t rows, float* out);
  // Outputs only; the kept forward stays.
  void predict(const float* x, size_t rows, float* out);
  // Backward of the kept forward (rows must be its rows): the gradients land in the host Mlp's gradients() too;
  // input_grad (rows x input) is optional.
  void backward(const float* grad_out, size_t rows, float* input_grad);
  // One optimizer update from the gradients (grads: replace them first; count floats, or null). Out of memory for
  // new optimizer state changes nothing.
  void step(const OptimizerConfig& config, const float* grads);
  // One training mini-batch (forward, loss, backward, step); returns its mean loss.
  double train_batch(const float* x, const float* y, size_t rows, const TrainOptions& options);

 private:
  void upload();  // creates the handle or refreshes it from the host when the host changed
  void raise(int status);
  // The Adam step count an update with `c` uses (1 after a restart, as Mlp::step; 0 for SGD).
  uint64_t next_adam_step(const OptimizerConfig& c) const;
  // Records an update done on the device: the state it now holds and, for Adam, the step count t.
  void stepped(const OptimizerConfig& c, uint64_t t);

  Mlp& mlp_;
  const CudaApi* api_;
  reckit_cuda_mlp* handle_ = nullptr;
  uint64_t host_generation_ = 1, device_generation_ = 0;
  bool ahead_ = false;  // the device holds changes the host lacks
  bool has_adam_ = false, has_velocity_ = false;  // optimizer state the device holds
  char message_[512] = {0};
};

// train_mlp on a resident device copy: the CPU trainer's mini-batches (same shuffle, same boundaries), the
// Mlp's write lock taken per mini-batch. `batches_done` counts the mini-batches that ran (an out-of-memory before
// the first one left the model untouched). With pull_each_epoch the host mirror is refreshed after every epoch.
std::vector<double> train_mlp_resident(Mlp& mlp, MlpDevice& device, const float* x, const float* y, size_t rows,
                                       const TrainOptions& options, const std::atomic<bool>* cancel,
                                       const EpochCallback& on_epoch, bool pull_each_epoch, size_t* batches_done);

}  // namespace reckit
