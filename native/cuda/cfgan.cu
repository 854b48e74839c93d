// CFGAN trained on the device (cuda_abi.h, "tables and models"): both networks (mlp_network.cuh), their Adam state
// and every per-batch buffer stay in device memory for the fit. The host builds each D update's generator input
// (noise ⊕ purchase vector) and its partial-masking (PM) and zero-reconstruction (ZR) masks with the CPU's Philox
// draws and sends them up; the updates are core/cfgan.cpp's, in its order:
//   D update: fake = G(noise ⊕ e_u); D reads [e_u ⊕ e_u ; (fake ⊙ pm) ⊕ e_u] as 2b rows; BCE against 1 and 0; D
//             backward (parameter gradients) and Adam.
//   G update: on the last D update's masked fakes, D (just updated) forward, BCE against 1, D backward to its
//             input only; dL/d(fake) = that gradient ⊙ pm + 2α/b · fake ⊙ zr; G backward and Adam.
#include <memory>
#include <mutex>

#include "cuda/adversarial_pair.cuh"
#include "cuda/cuda_common.h"
#include "cuda/gan_launch.h"

namespace {

using reckit::cuda::adam_config;
using reckit::cuda::blocks_for;
using reckit::cuda::check_launch;
using reckit::cuda::DeviceBuffer;
using reckit::cuda::invalid;

constexpr unsigned kThreads = 128;

// out[r] = (fake[r] ⊙ pm[r]) ⊕ cond[r], rows of n values each (a thread per output value).
__global__ void __launch_bounds__(kThreads)
    masked_fake_rows_kernel(const float* fake, const float* pm, const float* cond, size_t rows, size_t n, float* out) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= rows * 2 * n) return;
  const size_t r = i / (2 * n), j = i % (2 * n);
  out[i] = j < n ? fake[r * n + j] * pm[r * n + j] : cond[r * n + (j - n)];
}

// A thread per row: grad[e] = d_in_grad[r][j] · pm[e] + 2 · zr_scale · fake[e] · zr[e] over the row's items, and
// row_zr[r] = Σ_j zr[e] · fake[e]² in double, items in order (the CPU's expressions).
__global__ void __launch_bounds__(kThreads)
    fake_gradient_kernel(const float* d_in_grad, const float* fake, const float* pm, const float* zr, size_t rows,
                         size_t n, float zr_scale, float* grad, double* row_zr) {
  const size_t r = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  double sum = 0.0;
  for (size_t j = 0; j < n; ++j) {
    const size_t e = r * n + j;
    const float y = fake[e];
    grad[e] = d_in_grad[r * 2 * n + j] * pm[e] + 2.f * zr_scale * y * zr[e];
    sum += static_cast<double>(zr[e]) * y * y;
  }
  row_zr[r] = sum;
}

auto floats = reckit::cuda::device_floats;

}  // namespace

struct reckit_cuda_cfgan : reckit::cuda::AdversarialPair {
  size_t items = 0, noise_dim = 0, max_batch = 0;
  // g_in: b × (noise_dim + items); cond, pm, zr, fake_grad: b × items; d_in: 2b × 2·items; d_grad_in: b × 2·items.
  std::unique_ptr<DeviceBuffer<float>> g_in, cond, pm, zr, d_in, d_grad_out, d_grad_in, fake_grad;
  std::unique_ptr<DeviceBuffer<double>> row_zr, sums;  // sums: [Σ BCE real, Σ D(real), Σ BCE fake, Σ D(fake), Σ zr]
};

RECKIT_CUDA_EXPORT int reckit_cuda_cfgan_create(size_t items, size_t noise_dim, size_t max_batch,
                                                size_t generator_layers, const size_t* generator_units,
                                                const int* generator_activations, const float* generator_slopes,
                                                const float* generator_params, size_t discriminator_layers,
                                                const size_t* discriminator_units, const int* discriminator_activations,
                                                const float* discriminator_slopes, const float* discriminator_params,
                                                reckit_cuda_cfgan** out, char* message, size_t message_size) {
  *out = nullptr;
  return reckit::cuda::guard(message, message_size, [&] {
    if (items == 0 || max_batch == 0) invalid("CFGAN needs items and a batch");
    auto m = std::make_unique<reckit_cuda_cfgan>();
    m->items = items;
    m->noise_dim = noise_dim;
    m->max_batch = max_batch;
    const size_t n = items, b = max_batch;
    // Everything a step touches, allocated now: a step then only launches kernels.
    m->create_networks({noise_dim + n, generator_layers, generator_units, generator_activations, generator_slopes,
                        generator_params},
                       {2 * n, discriminator_layers, discriminator_units, discriminator_activations,
                        discriminator_slopes, discriminator_params},
                       n, b, 2 * b, "the generator must emit one score per item and the discriminator one logit");
    m->g_in = floats(b * (noise_dim + n), "cudaMalloc(generator input)");
    m->cond = floats(b * n, "cudaMalloc(purchase vectors)");
    m->pm = floats(b * n, "cudaMalloc(PM mask)");
    m->zr = floats(b * n, "cudaMalloc(ZR mask)");
    m->d_in = floats(2 * b * 2 * n, "cudaMalloc(discriminator input)");
    m->d_grad_out = floats(2 * b, "cudaMalloc(logit gradients)");
    m->d_grad_in = floats(b * 2 * n, "cudaMalloc(discriminator input gradient)");
    m->fake_grad = floats(b * n, "cudaMalloc(fake gradient)");
    m->row_zr = std::make_unique<DeviceBuffer<double>>(b, "cudaMalloc(row ZR sums)");
    m->sums = std::make_unique<DeviceBuffer<double>>(5, "cudaMalloc(step sums)");
    // A fresh Adam for both networks (CFGAN fits start from new networks), allocated before any step.
    m->prepare_adam();
    *out = m.release();
  });
}

RECKIT_CUDA_EXPORT void reckit_cuda_cfgan_destroy(reckit_cuda_cfgan* cfgan) {
  delete cfgan;
}

RECKIT_CUDA_EXPORT int reckit_cuda_cfgan_read(reckit_cuda_cfgan* cfgan, int network, float* params, float* adam_m,
                                              float* adam_v, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] { cfgan->read(network, params, adam_m, adam_v); });
}

RECKIT_CUDA_EXPORT int reckit_cuda_cfgan_d_step(reckit_cuda_cfgan* m, const float* g_in, const float* purchases,
                                                const float* pm, const float* zr, size_t rows, float lr, float beta1,
                                                float beta2, uint64_t adam_step, double* sums_out, char* message,
                                                size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(m->mutex);
    if (rows == 0 || rows > m->max_batch) invalid("rows must be between 1 and the batch");
    m->check_adam_step(adam_step);
    const size_t n = m->items;
    m->staging.upload(m->g_in->get(), g_in, rows * (m->noise_dim + n) * sizeof(float));
    m->staging.upload(m->cond->get(), purchases, rows * n * sizeof(float));
    m->staging.upload(m->pm->get(), pm, rows * n * sizeof(float));
    m->staging.upload(m->zr->get(), zr, rows * n * sizeof(float));
    m->generator->forward(m->g_in->get(), rows, m->g_ws);
    // [e_u ⊕ e_u ; (fake ⊙ pm) ⊕ e_u]
    float* d_in = m->d_in->get();
    launch_concat_rows(m->cond->get(), n, m->cond->get(), n, rows, d_in);
    const size_t half = rows * 2 * n;
    RECKIT_LAUNCH(masked_fake_rows_kernel, blocks_for(half, kThreads), kThreads, 0, nullptr, m->g_ws.output(),
                  m->pm->get(), m->cond->get(), rows, n, d_in + half);
    check_launch("masked_fake_rows_kernel");
    m->discriminator->forward(d_in, 2 * rows, m->d_ws);
    const float* logits = m->d_ws.output();
    double* sums = m->sums->get();
    launch_bce_constant(logits, rows, 1.f, m->d_grad_out->get(), sums);
    launch_bce_constant(logits + rows, rows, 0.f, m->d_grad_out->get() + rows, sums + 2);
    m->discriminator->backward(m->d_ws, m->d_grad_out->get(), nullptr, true, false);
    m->discriminator->step(adam_config(lr, beta1, beta2), adam_step);
    m->last_rows = rows;
    double host[4];
    m->sums->copy_to_host(host, 4);
    sums_out[0] = host[0];
    sums_out[1] = host[2];
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_cfgan_g_step(reckit_cuda_cfgan* m, float zr_weight, float lr, float beta1,
                                                float beta2, uint64_t adam_step, double* sums_out, char* message,
                                                size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(m->mutex);
    const size_t rows = m->g_step_rows(adam_step), n = m->items;
    // The masked fakes of the last D update, still in the second half of d_in, scored by the updated D.
    m->discriminator->forward(m->d_in->get() + rows * 2 * n, rows, m->d_ws);
    double* sums = m->sums->get();
    launch_bce_constant(m->d_ws.output(), rows, 1.f, m->d_grad_out->get(), sums);
    m->discriminator->backward(m->d_ws, m->d_grad_out->get(), m->d_grad_in->get(), false, false);
    const float zr_scale = zr_weight / static_cast<float>(rows);
    RECKIT_LAUNCH(fake_gradient_kernel, blocks_for(rows, kThreads), kThreads, 0, nullptr, m->d_grad_in->get(),
                  m->g_ws.output(), m->pm->get(), m->zr->get(), rows, n, zr_scale, m->fake_grad->get(),
                  m->row_zr->get());
    check_launch("fake_gradient_kernel");
    launch_sum_doubles(m->row_zr->get(), rows, sums + 4);
    m->generator->backward(m->g_ws, m->fake_grad->get(), nullptr, true, false);
    m->generator->step(adam_config(lr, beta1, beta2), adam_step);
    double host[5];
    m->sums->copy_to_host(host, 5);
    sums_out[0] = host[0];
    sums_out[1] = host[4];
  });
}
