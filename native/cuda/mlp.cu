// The Mlp trained on the device (cuda_abi.h, "tables and models"): parameters, gradients, optimizer state and
// the per-batch activations stay in device memory; a mini-batch goes up, its mean loss comes back. Each step
// is core/mlp.cpp's: forward through the GEMM's fused bias + activation epilogue, the loss kernel, then per
// layer from the top delta = upstream * act'(output) (from the stored output, like the CPU), dW = inᵀ·delta,
// db = column sums of delta (rows in order, like the CPU), upstream = delta·Wᵀ, and the optimizer update.
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

#include "core/activations.h"
#include "core/optimizers.h"
#include "cuda/cuda_common.h"
#include "cuda/pinned_staging.h"
#include "cuda/training_launch.h"

namespace {

using reckit::cuda::check;
using reckit::cuda::DeviceBuffer;
using reckit::cuda::invalid;

constexpr unsigned kThreads = 256;

// delta[i] = up[i] * act'(y[i]), the derivative taken from the layer's output.
__global__ void __launch_bounds__(kThreads) activation_backward_kernel(int activation, float slope, const float* up,
                                                                       const float* y, float* delta, size_t n) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const reckit::Activation act = static_cast<reckit::Activation>(activation);
  delta[i] = act == reckit::Activation::Linear ? up[i]
                                               : up[i] * reckit::activation_derivative_from_output(act, y[i], slope);
}

// db[j] = Σ_r delta[r][j], rows in order (a thread per column).
__global__ void __launch_bounds__(kThreads) column_sums_kernel(const float* delta, size_t rows, size_t n, float* db) {
  const size_t j = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (j >= n) return;
  float sum = 0.0f;
  for (size_t r = 0; r < rows; ++r) sum += delta[r * n + j];
  db[j] = sum;
}

__global__ void __launch_bounds__(kThreads) sgd_kernel(reckit::OptimizerConfig config, float* p, const float* g,
                                                       float* velocity, size_t n) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  float unused = 0.0f;
  reckit::sgd_update(config, &p[i], g[i], velocity ? &velocity[i] : &unused);
}

struct Layer {
  size_t in, units, weight_offset, bias_offset;
  reckit::Activation activation;
  float slope;
};

std::unique_ptr<DeviceBuffer<float>> zeros(size_t n, const char* what) {
  auto b = std::make_unique<DeviceBuffer<float>>(n, what);
  if (n) check(cudaMemset(b->get(), 0, n * sizeof(float)), "cudaMemset");
  return b;
}

std::unique_ptr<DeviceBuffer<float>> uploaded(const float* host, size_t n, const char* what) {
  return host ? std::make_unique<DeviceBuffer<float>>(host, n, what) : nullptr;
}

}  // namespace

struct reckit_cuda_mlp {
  size_t input = 0, count = 0, max_width = 0;
  std::vector<Layer> layers;
  std::unique_ptr<DeviceBuffer<float>> params, grads, adam_m, adam_v, velocity;
  // Per-batch buffers, grown with the batch.
  size_t rows = 0;
  std::vector<std::unique_ptr<DeviceBuffer<float>>> acts;
  std::unique_ptr<DeviceBuffer<float>> x, y, delta, carry;
  reckit::cuda::PinnedStaging staging;  // mini-batches go up through it
  std::mutex mutex;

  void prepare(size_t batch) {
    if (batch <= rows) return;
    std::vector<std::unique_ptr<DeviceBuffer<float>>> fresh;
    for (const Layer& l : layers) fresh.push_back(std::make_unique<DeviceBuffer<float>>(batch * l.units, "cudaMalloc(activations)"));
    auto nx = std::make_unique<DeviceBuffer<float>>(batch * input, "cudaMalloc(x)");
    auto ny = std::make_unique<DeviceBuffer<float>>(batch * layers.back().units, "cudaMalloc(y)");
    auto nd = std::make_unique<DeviceBuffer<float>>(batch * max_width, "cudaMalloc(delta)");
    auto nc = std::make_unique<DeviceBuffer<float>>(batch * max_width, "cudaMalloc(carry)");
    acts = std::move(fresh);
    x = std::move(nx);
    y = std::move(ny);
    delta = std::move(nd);
    carry = std::move(nc);
    rows = batch;
  }

  void forward(size_t batch) {
    const float* in = x->get();
    for (size_t l = 0; l < layers.size(); ++l) {
      const Layer& s = layers[l];
      reckit::cuda::launch_gemm(false, false, batch, s.units, s.in, 1.0f, in, s.in, params->get() + s.weight_offset,
                                s.units, 0.0f, acts[l]->get(), s.units, params->get() + s.bias_offset, s.activation,
                                s.slope);
      in = acts[l]->get();
    }
  }
};

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_create(size_t input, size_t layers, const size_t* units, const int* activations,
                                              const float* slopes, const float* params, reckit_cuda_mlp** out,
                                              char* message, size_t message_size) {
  *out = nullptr;
  return reckit::cuda::guard(message, message_size, [&] {
    if (input == 0 || layers == 0) invalid("an Mlp needs an input width and at least one layer");
    auto mlp = std::make_unique<reckit_cuda_mlp>();
    mlp->input = input;
    mlp->max_width = input;
    size_t offset = 0, in = input;
    for (size_t l = 0; l < layers; ++l) {
      if (units[l] == 0) invalid("a layer needs units >= 1");
      if (activations[l] < 0 || activations[l] > 4) invalid("activation must be 0..4");
      mlp->layers.push_back(Layer{in, units[l], offset, offset + in * units[l],
                                  static_cast<reckit::Activation>(activations[l]), slopes[l]});
      offset += in * units[l] + units[l];
      in = units[l];
      if (in > mlp->max_width) mlp->max_width = in;
    }
    mlp->count = offset;
    mlp->params = std::make_unique<DeviceBuffer<float>>(params, offset, "cudaMalloc(parameters)");
    mlp->grads = std::make_unique<DeviceBuffer<float>>(offset, "cudaMalloc(gradients)");
    *out = mlp.release();
  });
}

RECKIT_CUDA_EXPORT void reckit_cuda_mlp_destroy(reckit_cuda_mlp* mlp) { delete mlp; }

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_set_state(reckit_cuda_mlp* mlp, const float* adam_m, const float* adam_v,
                                                 const float* velocity, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    if ((adam_m == nullptr) != (adam_v == nullptr)) invalid("Adam state needs both moments");
    auto m = uploaded(adam_m, mlp->count, "cudaMalloc(adam m)");
    auto v = uploaded(adam_v, mlp->count, "cudaMalloc(adam v)");
    auto b = uploaded(velocity, mlp->count, "cudaMalloc(velocity)");
    mlp->adam_m = std::move(m);
    mlp->adam_v = std::move(v);
    mlp->velocity = std::move(b);
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_read(reckit_cuda_mlp* mlp, float* params, float* adam_m, float* adam_v,
                                            float* velocity, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    const size_t n = mlp->count;
    auto read = [n](float* host, const std::unique_ptr<DeviceBuffer<float>>& device) {
      if (!host) return;
      if (device) device->copy_to_host(host, n);
      else std::memset(host, 0, n * sizeof(float));
    };
    read(params, mlp->params);
    read(adam_m, mlp->adam_m);
    read(adam_v, mlp->adam_v);
    read(velocity, mlp->velocity);
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_train_batch(reckit_cuda_mlp* mlp, const float* x, const float* y, size_t rows,
                                                   int loss, int optimizer, float lr, float beta1, float beta2,
                                                   float eps, float momentum, float weight_decay, uint64_t adam_step,
                                                   double* loss_out, char* message, size_t message_size) {
  using namespace reckit::cuda;
  *loss_out = 0.0;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    if (loss != 0 && loss != 1) invalid("loss must be 0 (BCE with logits) or 1 (MSE)");
    if (optimizer != 0 && optimizer != 1) invalid("optimizer must be 0 (Adam) or 1 (SGD)");
    if (optimizer == 0 && adam_step == 0) invalid("Adam steps count from 1");
    if (rows == 0) return;
    reckit::OptimizerConfig c;
    c.kind = optimizer == 0 ? reckit::OptimizerKind::Adam : reckit::OptimizerKind::Sgd;
    c.lr = lr;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.momentum = momentum;
    c.weight_decay = weight_decay;
    // Everything is allocated before the parameters change.
    mlp->prepare(rows);
    const size_t out_width = mlp->layers.back().units;
    if (optimizer == 0 && !mlp->adam_m) {
      auto m = zeros(mlp->count, "cudaMalloc(adam m)");
      auto v = zeros(mlp->count, "cudaMalloc(adam v)");
      mlp->adam_m = std::move(m);
      mlp->adam_v = std::move(v);
    }
    if (optimizer == 1 && momentum != 0.0f && !mlp->velocity) mlp->velocity = zeros(mlp->count, "cudaMalloc(velocity)");
    mlp->staging.upload(mlp->x->get(), x, rows * mlp->input * sizeof(float));
    mlp->staging.upload(mlp->y->get(), y, rows * out_width * sizeof(float));
    mlp->forward(rows);
    const size_t n_out = rows * out_width;
    // The loss gradient goes into carry, the upstream of the top layer.
    const double sum = device_loss_sum(loss, mlp->acts.back()->get(), mlp->y->get(), n_out, mlp->carry->get(),
                                       1.0f / static_cast<float>(n_out));
    float* upstream = mlp->carry->get();
    float* delta = mlp->delta->get();
    float* params = mlp->params->get();
    float* grads = mlp->grads->get();
    for (size_t li = mlp->layers.size(); li-- > 0;) {
      const Layer& s = mlp->layers[li];
      const size_t n = rows * s.units;
      RECKIT_LAUNCH(activation_backward_kernel, blocks_for(n, kThreads), kThreads, 0, nullptr,
                    static_cast<int>(s.activation), s.slope, upstream, mlp->acts[li]->get(), delta, n);
      check_launch("activation_backward_kernel");
      const float* in = li == 0 ? mlp->x->get() : mlp->acts[li - 1]->get();
      launch_gemm(true, false, s.in, s.units, rows, 1.0f, in, s.in, delta, s.units, 0.0f, grads + s.weight_offset,
                  s.units, nullptr, reckit::Activation::Linear, 0.0f);
      RECKIT_LAUNCH(column_sums_kernel, blocks_for(s.units, kThreads), kThreads, 0, nullptr, delta, rows, s.units,
                    grads + s.bias_offset);
      check_launch("column_sums_kernel");
      if (li == 0) break;
      // upstream of the layer below = delta · Wᵀ, written over the old upstream (free now).
      launch_gemm(false, true, rows, s.in, s.units, 1.0f, delta, s.units, params + s.weight_offset, s.units, 0.0f,
                  upstream, s.in, nullptr, reckit::Activation::Linear, 0.0f);
    }
    if (optimizer == 0) {
      launch_adam(reckit::make_adam_step(c, adam_step), params, grads, mlp->adam_m->get(), mlp->adam_v->get(),
                  mlp->count);
    } else {
      RECKIT_LAUNCH(sgd_kernel, blocks_for(mlp->count, kThreads), kThreads, 0, nullptr, c, params, grads,
                    mlp->velocity ? mlp->velocity->get() : nullptr, mlp->count);
      check_launch("sgd_kernel");
    }
    *loss_out = sum / static_cast<double>(n_out);
  });
}
