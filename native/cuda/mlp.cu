// The resident Mlp (cuda_abi.h, "tables and models"): a reckit_cuda_mlp is a DeviceNetwork (mlp_network.cuh:
// parameters, gradients, optimizer state) plus the per-batch buffers its entry points use; batches go up through
// the handle's pinned staging buffer, results come down. A training mini-batch is core/mlp.cpp's train_mlp step:
// forward, the loss kernel (its gradient is the network's upstream), backward, the optimizer update.
#include <memory>
#include <mutex>
#include <vector>

#include "core/optimizers.h"
#include "cuda/cuda_common.h"
#include "cuda/mlp_network.cuh"
#include "cuda/pinned_staging.h"
#include "cuda/training_launch.h"

namespace {

using reckit::cuda::DeviceBuffer;
using reckit::cuda::invalid;

// A device buffer of at least n floats, grown (never shrunk) on demand; allocation before replacement.
void reserve(std::unique_ptr<DeviceBuffer<float>>& b, size_t n, const char* what) {
  if (b && b->size() >= n) return;
  b = std::make_unique<DeviceBuffer<float>>(n, what);
}

reckit::OptimizerConfig optimizer_config(int optimizer, float lr, float beta1, float beta2, float eps, float momentum,
                                         float weight_decay, uint64_t adam_step) {
  if (optimizer != 0 && optimizer != 1) invalid("optimizer must be 0 (Adam) or 1 (SGD)");
  if (optimizer == 0 && adam_step == 0) invalid("Adam steps count from 1");
  reckit::OptimizerConfig c;
  c.kind = optimizer == 0 ? reckit::OptimizerKind::Adam : reckit::OptimizerKind::Sgd;
  c.lr = lr;
  c.beta1 = beta1;
  c.beta2 = beta2;
  c.eps = eps;
  c.momentum = momentum;
  c.weight_decay = weight_decay;
  return c;
}

}  // namespace

struct reckit_cuda_mlp {
  std::unique_ptr<reckit::cuda::DeviceNetwork> net;
  // The kept forward: a training mini-batch's, or reckit_cuda_mlp_forward's for the backward that follows.
  reckit::cuda::NetworkWorkspace train_ws;
  std::unique_ptr<DeviceBuffer<float>> x, y, grad_out, input_grad;
  reckit::cuda::NetworkWorkspace predict_ws;  // predictions, apart from the kept forward
  std::unique_ptr<DeviceBuffer<float>> predict_x;
  reckit::cuda::PinnedStaging staging;
  std::mutex mutex;
};

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_create(size_t input, size_t layers, const size_t* units, const int* activations,
                                              const float* slopes, const float* params, reckit_cuda_mlp** out,
                                              char* message, size_t message_size) {
  *out = nullptr;
  return reckit::cuda::guard(message, message_size, [&] {
    auto mlp = std::make_unique<reckit_cuda_mlp>();
    mlp->net = std::make_unique<reckit::cuda::DeviceNetwork>(input, layers, units, activations, slopes, params);
    *out = mlp.release();
  });
}

RECKIT_CUDA_EXPORT void reckit_cuda_mlp_destroy(reckit_cuda_mlp* mlp) { delete mlp; }

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_set_state(reckit_cuda_mlp* mlp, const float* adam_m, const float* adam_v,
                                                 const float* velocity, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    mlp->net->set_state(adam_m, adam_v, velocity);
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_read(reckit_cuda_mlp* mlp, float* params, float* adam_m, float* adam_v,
                                            float* velocity, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    mlp->net->read(params, nullptr, adam_m, adam_v, velocity);
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
    const reckit::OptimizerConfig c =
        optimizer_config(optimizer, lr, beta1, beta2, eps, momentum, weight_decay, adam_step);
    if (rows == 0) return;
    DeviceNetwork& net = *mlp->net;
    const size_t n_out = rows * net.output();
    // Everything is allocated before the parameters change.
    net.prepare(mlp->train_ws, rows, true);
    reserve(mlp->x, rows * net.input(), "cudaMalloc(x)");
    reserve(mlp->y, n_out, "cudaMalloc(y)");
    reserve(mlp->grad_out, n_out, "cudaMalloc(loss gradient)");
    net.prepare_step(c);
    mlp->staging.upload(mlp->x->get(), x, rows * net.input() * sizeof(float));
    mlp->staging.upload(mlp->y->get(), y, n_out * sizeof(float));
    net.forward(mlp->x->get(), rows, mlp->train_ws);
    const double sum = device_loss_sum(loss, mlp->train_ws.output(), mlp->y->get(), n_out, mlp->grad_out->get(),
                                       1.0f / static_cast<float>(n_out));
    net.backward(mlp->train_ws, mlp->grad_out->get(), nullptr, true, false);
    net.step(c, adam_step);
    *loss_out = sum / static_cast<double>(n_out);
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_write(reckit_cuda_mlp* mlp, const float* params, const float* grads,
                                             char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    const size_t bytes = mlp->net->count() * sizeof(float);
    if (params) mlp->staging.upload(mlp->net->params(), params, bytes);
    if (grads) mlp->staging.upload(mlp->net->grads(), grads, bytes);
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_read_gradients(reckit_cuda_mlp* mlp, float* grads, char* message,
                                                      size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    mlp->net->read(nullptr, grads, nullptr, nullptr, nullptr);  // no staging: a read never allocates
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_forward(reckit_cuda_mlp* mlp, const float* x, size_t rows, float* out,
                                               char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    DeviceNetwork& net = *mlp->net;
    mlp->train_ws.rows = 0;  // the kept forward is replaced, whatever happens below
    if (rows == 0) return;
    // What the backward of this forward needs is allocated now, so it cannot run out of memory later.
    net.prepare(mlp->train_ws, rows, true);
    reserve(mlp->x, rows * net.input(), "cudaMalloc(x)");
    reserve(mlp->grad_out, rows * net.output(), "cudaMalloc(output gradient)");
    reserve(mlp->input_grad, rows * net.input(), "cudaMalloc(input gradient)");
    mlp->staging.upload(mlp->x->get(), x, rows * net.input() * sizeof(float));
    net.forward(mlp->x->get(), rows, mlp->train_ws);
    mlp->staging.download(out, mlp->train_ws.output(), rows * net.output() * sizeof(float));
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_predict(reckit_cuda_mlp* mlp, const float* x, size_t rows, float* out,
                                               char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    DeviceNetwork& net = *mlp->net;
    const size_t piece = rows < RECKIT_CUDA_MLP_PREDICT_ROWS ? rows : RECKIT_CUDA_MLP_PREDICT_ROWS;
    if (piece == 0) return;
    net.prepare(mlp->predict_ws, piece, false);
    reserve(mlp->predict_x, piece * net.input(), "cudaMalloc(x)");
    // Rows are independent (each output element sums over its own row), so pieces give the whole call's bits.
    for (size_t start = 0; start < rows; start += piece) {
      const size_t n = rows - start < piece ? rows - start : piece;
      mlp->staging.upload(mlp->predict_x->get(), x + start * net.input(), n * net.input() * sizeof(float));
      net.forward(mlp->predict_x->get(), n, mlp->predict_ws);
      mlp->staging.download(out + start * net.output(), mlp->predict_ws.output(), n * net.output() * sizeof(float));
    }
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_backward(reckit_cuda_mlp* mlp, const float* grad_out, size_t rows,
                                                float* input_grad, float* param_grads, char* message,
                                                size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    DeviceNetwork& net = *mlp->net;
    if (rows == 0 || rows != mlp->train_ws.rows || mlp->train_ws.input != mlp->x->get()) {
      invalid("backward needs the rows of the kept forward");
    }
    mlp->staging.upload(mlp->grad_out->get(), grad_out, rows * net.output() * sizeof(float));
    net.backward(mlp->train_ws, mlp->grad_out->get(), input_grad ? mlp->input_grad->get() : nullptr, true, false);
    if (input_grad) mlp->staging.download(input_grad, mlp->input_grad->get(), rows * net.input() * sizeof(float));
    if (param_grads) mlp->staging.download(param_grads, net.grads(), net.count() * sizeof(float));
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_mlp_step(reckit_cuda_mlp* mlp, int optimizer, float lr, float beta1, float beta2,
                                            float eps, float momentum, float weight_decay, uint64_t adam_step,
                                            char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(mlp->mutex);
    const reckit::OptimizerConfig c =
        optimizer_config(optimizer, lr, beta1, beta2, eps, momentum, weight_decay, adam_step);
    mlp->net->prepare_step(c);
    mlp->net->step(c, adam_step);
  });
}
