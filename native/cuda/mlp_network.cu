// DeviceNetwork (mlp_network.cuh): core/mlp.cpp's forward, backward and optimizer steps on device memory.
// Forward runs each layer through the GEMM's fused bias + activation epilogue. Backward goes from the top:
// delta = upstream * act'(output) (the derivative from the stored output, like the CPU), dW = inᵀ·delta by the
// transposed GEMM, db = column sums of delta (rows in order, like the CPU), and the layer below's upstream =
// delta·Wᵀ by the other transposed GEMM. The steps are core/optimizers.h's updates.
#include "cuda/mlp_network.cuh"

#include <cstring>

#include "cuda/training_launch.h"

namespace reckit::cuda {
namespace {

constexpr unsigned kThreads = 256;

// delta[i] = up[i] * act'(y[i]), the derivative taken from the layer's output.
__global__ void __launch_bounds__(kThreads)
    activation_backward_kernel(int activation, float slope, const float* up, const float* y, float* delta, size_t n) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const reckit::Activation act = static_cast<reckit::Activation>(activation);
  delta[i] =
      act == reckit::Activation::Linear ? up[i] : up[i] * reckit::activation_derivative_from_output(act, y[i], slope);
}

// db[j] (+)= Σ_r delta[r][j], rows in order (a thread per column); accumulating starts from db[j] like the CPU.
__global__ void __launch_bounds__(kThreads)
    column_sums_kernel(const float* delta, size_t rows, size_t n, float* db, bool accumulate) {
  const size_t j = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  float sum = accumulate ? db[j] : 0.0f;
  for (size_t r = 0; r < rows; ++r) sum += delta[r * n + j];
  db[j] = sum;
}

__global__ void __launch_bounds__(kThreads)
    sgd_kernel(reckit::OptimizerConfig config, float* p, const float* g, float* velocity, size_t n) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float unused = 0.0f;
  reckit::sgd_update(config, &p[i], g[i], velocity ? &velocity[i] : &unused);
}

std::unique_ptr<DeviceBuffer<float>> zeros(size_t n, const char* what) {
  auto b = std::make_unique<DeviceBuffer<float>>(n, what);
  if (n) check(cudaMemset(b->get(), 0, n * sizeof(float)), "cudaMemset");
  return b;
}

std::unique_ptr<DeviceBuffer<float>> uploaded(const float* host, size_t n, const char* what) {
  return host ? std::make_unique<DeviceBuffer<float>>(host, n, what) : nullptr;
}

void activation_backward(const NetworkLayer& s, const float* up, const float* y, float* delta, size_t n) {
  RECKIT_LAUNCH(activation_backward_kernel, blocks_for(n, kThreads), kThreads, 0, nullptr,
                static_cast<int>(s.activation), s.slope, up, y, delta, n);
  check_launch("activation_backward_kernel");
}

}  // namespace

DeviceNetwork::DeviceNetwork(size_t input, size_t layers, const size_t* units, const int* activations,
                             const float* slopes, const float* host_params) {
  if (input == 0 || layers == 0) invalid("an Mlp needs an input width and at least one layer");
  input_ = input;
  max_width_ = input;
  size_t offset = 0, in = input;
  for (size_t l = 0; l < layers; ++l) {
    if (units[l] == 0) invalid("a layer needs units >= 1");
    if (activations[l] < 0 || activations[l] > 4) invalid("activation must be 0..4");
    layers_.push_back(NetworkLayer{in, units[l], offset, offset + in * units[l],
                                   static_cast<reckit::Activation>(activations[l]), slopes[l]});
    offset += in * units[l] + units[l];
    in = units[l];
    if (in > max_width_) max_width_ = in;
  }
  count_ = offset;
  params_ = std::make_unique<DeviceBuffer<float>>(host_params, count_, "cudaMalloc(parameters)");
  grads_ = zeros(count_, "cudaMalloc(gradients)");
}

void DeviceNetwork::prepare(NetworkWorkspace& ws, size_t rows, bool backward) const {
  const bool grow = rows > ws.capacity;
  if (!grow && (!backward || ws.backward_ready)) return;
  const size_t capacity = grow ? rows : ws.capacity;
  std::vector<std::unique_ptr<DeviceBuffer<float>>> acts;
  if (grow) {
    for (const NetworkLayer& l : layers_) {
      acts.push_back(std::make_unique<DeviceBuffer<float>>(capacity * l.units, "cudaMalloc(activations)"));
    }
  }
  std::unique_ptr<DeviceBuffer<float>> delta, carry;
  const bool with_backward = backward || ws.backward_ready;
  if (with_backward) {
    delta = std::make_unique<DeviceBuffer<float>>(capacity * max_width_, "cudaMalloc(delta)");
    carry = std::make_unique<DeviceBuffer<float>>(capacity * max_width_, "cudaMalloc(carry)");
  }
  if (grow) {
    ws.acts = std::move(acts);
    ws.rows = 0;  // the activations of the last forward are gone
    ws.input = nullptr;
  }
  if (with_backward) {
    ws.delta = std::move(delta);
    ws.carry = std::move(carry);
  }
  ws.backward_ready = with_backward;
  ws.capacity = capacity;
}

void DeviceNetwork::forward(const float* x, size_t rows, NetworkWorkspace& ws) const {
  prepare(ws, rows, false);
  const float* in = x;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const NetworkLayer& s = layers_[l];
    launch_gemm(false, false, rows, s.units, s.in, 1.0f, in, s.in, params() + s.weight_offset, s.units, 0.0f,
                ws.acts[l]->get(), s.units, params() + s.bias_offset, s.activation, s.slope);
    in = ws.acts[l]->get();
  }
  ws.rows = rows;
  ws.input = x;
}

void DeviceNetwork::backward(NetworkWorkspace& ws, const float* upstream, float* input_grad, bool param_grads,
                             bool accumulate) {
  const size_t rows = ws.rows;
  if (rows == 0) return;
  prepare(ws, rows, true);
  float* delta = ws.delta->get();
  float* carry = ws.carry->get();
  activation_backward(layers_.back(), upstream, ws.acts.back()->get(), delta, rows * layers_.back().units);
  for (size_t li = layers_.size(); li-- > 0;) {
    const NetworkLayer& s = layers_[li];
    if (param_grads) {
      const float* in = li == 0 ? ws.input : ws.acts[li - 1]->get();
      launch_gemm(true, false, s.in, s.units, rows, 1.0f, in, s.in, delta, s.units, accumulate ? 1.0f : 0.0f,
                  grads() + s.weight_offset, s.units, nullptr, reckit::Activation::Linear, 0.0f);
      RECKIT_LAUNCH(column_sums_kernel, blocks_for(s.units, kThreads), kThreads, 0, nullptr, delta, rows, s.units,
                    grads() + s.bias_offset, accumulate);
      check_launch("column_sums_kernel");
    }
    if (li == 0 && input_grad == nullptr) break;
    // dL/d(input of this layer) = delta · Wᵀ: the caller's input gradient, or the upstream of the layer below.
    float* target = li == 0 ? input_grad : carry;
    launch_gemm(false, true, rows, s.in, s.units, 1.0f, delta, s.units, params() + s.weight_offset, s.units, 0.0f,
                target, s.in, nullptr, reckit::Activation::Linear, 0.0f);
    if (li == 0) break;
    activation_backward(layers_[li - 1], carry, ws.acts[li - 1]->get(), delta, rows * s.in);
  }
}

void DeviceNetwork::prepare_step(const reckit::OptimizerConfig& c) {
  if (c.kind == reckit::OptimizerKind::Adam && !adam_m_) {
    auto m = zeros(count_, "cudaMalloc(adam m)");
    auto v = zeros(count_, "cudaMalloc(adam v)");
    adam_m_ = std::move(m);
    adam_v_ = std::move(v);
  }
  if (c.kind == reckit::OptimizerKind::Sgd && c.momentum != 0.0f && !velocity_) {
    velocity_ = zeros(count_, "cudaMalloc(velocity)");
  }
}

void DeviceNetwork::step(const reckit::OptimizerConfig& c, uint64_t adam_step) {
  if (c.kind == reckit::OptimizerKind::Adam) {
    if (adam_step == 0) invalid("Adam steps count from 1");
    if (!adam_m_) invalid("the Adam state is not allocated (prepare_step first)");
    launch_adam(reckit::make_adam_step(c, adam_step), params(), grads(), adam_m(), adam_v(), count_);
  } else {
    if (c.momentum != 0.0f && !velocity_) invalid("the SGD velocity is not allocated (prepare_step first)");
    RECKIT_LAUNCH(sgd_kernel, blocks_for(count_, kThreads), kThreads, 0, nullptr, c, params(), grads(), velocity(),
                  count_);
    check_launch("sgd_kernel");
  }
}

void DeviceNetwork::set_state(const float* adam_m, const float* adam_v, const float* velocity) {
  if ((adam_m == nullptr) != (adam_v == nullptr)) invalid("Adam state needs both moments");
  auto m = uploaded(adam_m, count_, "cudaMalloc(adam m)");
  auto v = uploaded(adam_v, count_, "cudaMalloc(adam v)");
  auto b = uploaded(velocity, count_, "cudaMalloc(velocity)");
  adam_m_ = std::move(m);
  adam_v_ = std::move(v);
  velocity_ = std::move(b);
}

void DeviceNetwork::read(float* params, float* grads, float* adam_m, float* adam_v, float* velocity) const {
  const size_t n = count_;
  auto copy = [n](float* host, const std::unique_ptr<DeviceBuffer<float>>& device) {
    if (!host) return;
    if (device)
      device->copy_to_host(host, n);
    else
      std::memset(host, 0, n * sizeof(float));
  };
  copy(params, params_);
  copy(grads, grads_);
  copy(adam_m, adam_m_);
  copy(adam_v, adam_v_);
  copy(velocity, velocity_);
}

}  // namespace reckit::cuda
