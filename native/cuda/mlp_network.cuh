// A dense network on the device: the building blocks that the resident Mlp (mlp.cu) and, inside the library,
// the device Gan drive. Layout and math are core/mlp.h's: per layer W [in x out] row-major then b [out], one
// flat array for parameters, gradients and optimizer moments alike; y = act(x·W + b).
//
//   DeviceNetwork net(input, layers, units, activations, slopes, host_params);   // parameters uploaded
//   NetworkWorkspace ws;                  // per-batch activations; one per batch kind you keep apart
//   net.forward(x, rows, ws);             // x: device [rows x input], kept by pointer until backward
//   ... ws.output() is device [rows x output] ...
//   net.backward(ws, upstream, input_grad, param_grads, accumulate);
//       upstream: device dL/dy [rows x output] (read only); input_grad: device dL/dx [rows x input] or null
//       (a discriminator's gradient for the generator); param_grads: write (accumulate: add) dL/dθ into grads()
//   net.prepare_step(config);             // allocates the optimizer state a step needs (before any change)
//   net.step(config, adam_step);          // Adam (adam_step counts from 1, the caller's counter) or SGD
//
// Every device allocation happens in the constructor, prepare(), prepare_step() or set_state(), each of which
// builds the new buffers before it replaces the old: an out-of-memory Failure leaves the network as it was.
// forward / backward / step only launch kernels (on the default stream, in order). Not thread-safe: the owner
// serializes calls.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/activations.h"
#include "core/optimizers.h"
#include "cuda/cuda_common.h"

namespace reckit::cuda {

struct NetworkLayer {
  size_t in, units, weight_offset, bias_offset;
  reckit::Activation activation;
  float slope;
};

// Per-batch device buffers: acts[l] is layer l's output [rows x units_l]; delta and carry hold dL/dz and the
// upstream between layers during backward (allocated only for a workspace prepared for backward).
struct NetworkWorkspace {
  size_t capacity = 0;  // rows the buffers hold
  bool backward_ready = false;  // delta and carry allocated
  size_t rows = 0;  // rows of the last forward
  const float* input = nullptr;  // x of the last forward (the caller's device memory)
  std::vector<std::unique_ptr<DeviceBuffer<float>>> acts;
  std::unique_ptr<DeviceBuffer<float>> delta, carry;
  const float* output() const { return acts.back()->get(); }
};

class DeviceNetwork {
 public:
  // activations[l]: 0 linear, 1 relu, 2 leaky_relu (slopes[l]), 3 tanh, 4 sigmoid. host_params: count() floats.
  // Invalid shapes throw invalid(); allocations throw Failure (out of memory).
  DeviceNetwork(size_t input, size_t layers, const size_t* units, const int* activations, const float* slopes,
                const float* host_params);

  size_t input() const { return input_; }
  size_t output() const { return layers_.back().units; }
  size_t count() const { return count_; }
  size_t max_width() const { return max_width_; }
  const std::vector<NetworkLayer>& layers() const { return layers_; }

  float* params() const { return params_->get(); }
  float* grads() const { return grads_->get(); }
  // Optimizer state on the device, null when not held.
  float* adam_m() const { return adam_m_ ? adam_m_->get() : nullptr; }
  float* adam_v() const { return adam_v_ ? adam_v_->get() : nullptr; }
  float* velocity() const { return velocity_ ? velocity_->get() : nullptr; }

  // Sizes ws for `rows` (grows only; with backward also delta and carry). All or nothing.
  void prepare(NetworkWorkspace& ws, size_t rows, bool backward) const;
  // x [rows x input] on the device through every layer into ws (prepared here for forward only if needed).
  void forward(const float* x, size_t rows, NetworkWorkspace& ws) const;
  // Backpropagates upstream (dL/dy of ws's last forward) as described above. Prepares ws for backward.
  void backward(NetworkWorkspace& ws, const float* upstream, float* input_grad, bool param_grads, bool accumulate);

  // Allocates zero optimizer state that `config` uses and the network lacks (Adam moments, SGD velocity when
  // momentum != 0). All or nothing.
  void prepare_step(const reckit::OptimizerConfig& config);
  // One update of every parameter from grads() (prepare_step first). adam_step >= 1 for Adam.
  void step(const reckit::OptimizerConfig& config, uint64_t adam_step);

  // Replaces the optimizer state from host arrays of count() floats (null: not held). All or nothing.
  void set_state(const float* adam_m, const float* adam_v, const float* velocity);
  // Host copies; a null destination is skipped, a state not held reads as zeros.
  void read(float* params, float* grads, float* adam_m, float* adam_v, float* velocity) const;

 private:
  size_t input_ = 0, count_ = 0, max_width_ = 0;
  std::vector<NetworkLayer> layers_;
  std::unique_ptr<DeviceBuffer<float>> params_, grads_, adam_m_, adam_v_, velocity_;
};

}  // namespace reckit::cuda
