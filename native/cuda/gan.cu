// The Gan trained on the device (cuda_abi.h, "tables and models"): both networks (mlp_network.cuh), their Adam
// state and every per-batch buffer stay in device memory for the fit; a discriminator update's batch (real rows,
// conditions, and the noise the host drew with the CPU's Philox code) goes up through pinned staging, and only
// the step's sums come back. Each update is core/gan.cpp's, in its order:
//   D update: fake = spans(G(noise ⊕ cond)); D reads [real ⊕ cond ; fake ⊕ cond] as 2b / pac packed rows; BCE
//             against 1 − smoothing and 0; D backward (parameter gradients) and Adam.
//   G update: on the last D update's fakes, D (just updated) forward, BCE against 1, D backward to its input
//             only; the data part of that gradient back through the spans, plus the conditional loss on the
//             generator's logits; G backward (parameter gradients) and Adam.
#include <memory>
#include <mutex>
#include <vector>

#include "cuda/adversarial_pair.cuh"
#include "cuda/cuda_common.h"
#include "cuda/gan_launch.h"

namespace {

using reckit::cuda::adam_config;
using reckit::cuda::DeviceBuffer;
using reckit::cuda::DeviceLink;
using reckit::cuda::DeviceSpan;
using reckit::cuda::invalid;

auto floats = reckit::cuda::device_floats;

}  // namespace

struct reckit_cuda_gan : reckit::cuda::AdversarialPair {
  size_t data_dim = 0, noise_dim = 0, condition_dim = 0, pac = 1, max_batch = 0;
  float tau = 0.2f, condition_loss_weight = 1.f;
  size_t span_count = 0, link_count = 0;
  bool gumbel = false;
  std::unique_ptr<DeviceBuffer<DeviceSpan>> spans;
  std::unique_ptr<DeviceBuffer<DeviceLink>> links;
  // Per-batch buffers for max_batch rows (w = data_dim + condition_dim).
  std::unique_ptr<DeviceBuffer<float>> real, cond, noise, gumbel_noise, g_in, d_in, d_grad_out, d_grad_in, fake,
      fake_grad, probabilities;
  std::unique_ptr<DeviceBuffer<double>> row_loss, sums;  // sums: [D real loss, D(real), D fake loss, D(fake), cond]
  const float* generated() const { return span_count ? fake->get() : g_ws.output(); }

  // One D update's inputs up through the pinned staging buffer.
  void upload_batch(const float* real_rows, const float* conditions, const float* noise_rows, const float* gumbel_rows,
                    size_t rows) {
    staging.upload(real->get(), real_rows, rows * data_dim * sizeof(float));
    if (condition_dim) staging.upload(cond->get(), conditions, rows * condition_dim * sizeof(float));
    staging.upload(noise->get(), noise_rows, rows * noise_dim * sizeof(float));
    if (gumbel) staging.upload(gumbel_noise->get(), gumbel_rows, rows * data_dim * sizeof(float));
  }
};

RECKIT_CUDA_EXPORT int reckit_cuda_gan_create(const reckit_cuda_gan_config* c, const float* generator_params,
                                              const float* discriminator_params, reckit_cuda_gan** out, char* message,
                                              size_t message_size) {
  *out = nullptr;
  return reckit::cuda::guard(message, message_size, [&] {
    if (c->data_dim == 0 || c->noise_dim == 0 || c->pac == 0 || c->max_batch == 0 || c->max_batch % c->pac != 0) {
      invalid("a Gan needs data and noise widths, pac >= 1 and a batch that is a multiple of pac");
    }
    auto gan = std::make_unique<reckit_cuda_gan>();
    gan->data_dim = c->data_dim;
    gan->noise_dim = c->noise_dim;
    gan->condition_dim = c->condition_dim;
    gan->pac = c->pac;
    gan->max_batch = c->max_batch;
    gan->tau = c->tau;
    gan->condition_loss_weight = c->condition_loss_weight;
    const size_t dd = c->data_dim, cd = c->condition_dim, nd = c->noise_dim, b = c->max_batch, w = dd + cd;
    // Everything a step touches is allocated in create: a step then only launches kernels and cannot run out of
    // memory. First the networks and their workspaces (D reads 2b / pac packed rows).
    gan->create_networks({nd + cd, c->generator_layers, c->generator_units, c->generator_activations,
                          c->generator_slopes, generator_params},
                         {c->pac * w, c->discriminator_layers, c->discriminator_units, c->discriminator_activations,
                          c->discriminator_slopes, discriminator_params},
                         dd, b, 2 * b / c->pac, "the generator must emit data_dim values and the discriminator one logit");
    // Spans and links, checked like core/gan_spans.cpp's validators would have (the addon validated them).
    std::vector<DeviceSpan> spans;
    size_t at = 0;
    for (size_t i = 0; i < c->spans; ++i) {
      if (c->span_kinds[i] < 0 || c->span_kinds[i] > 3 || c->span_widths[i] == 0) invalid("bad output span");
      spans.push_back(DeviceSpan{static_cast<uint32_t>(c->span_kinds[i]), at, c->span_widths[i]});
      at += c->span_widths[i];
      if (c->span_kinds[i] == 3) gan->gumbel = true;
    }
    if (!spans.empty() && at != dd) invalid("output spans must tile data_dim");
    std::vector<DeviceLink> links;
    for (size_t i = 0; i < c->links; ++i) {
      const DeviceLink l{c->link_condition_starts[i], c->link_data_starts[i], c->link_widths[i]};
      if (spans.empty() || l.width == 0 || l.condition_start + l.width > cd || l.data_start + l.width > dd) {
        invalid("a condition link lies outside the condition or the data");
      }
      links.push_back(l);
    }
    gan->span_count = spans.size();
    gan->link_count = links.size();
    if (!spans.empty())
      gan->spans = std::make_unique<DeviceBuffer<DeviceSpan>>(spans.data(), spans.size(), "cudaMalloc(spans)");
    if (!links.empty())
      gan->links = std::make_unique<DeviceBuffer<DeviceLink>>(links.data(), links.size(), "cudaMalloc(links)");
    gan->real = floats(b * dd, "cudaMalloc(real rows)");
    gan->cond = floats(b * cd, "cudaMalloc(conditions)");
    gan->noise = floats(b * nd, "cudaMalloc(noise)");
    gan->g_in = floats(b * (nd + cd), "cudaMalloc(generator input)");
    gan->d_in = floats(2 * b * w, "cudaMalloc(discriminator input)");
    gan->d_grad_out = floats(2 * b / c->pac, "cudaMalloc(logit gradients)");
    gan->d_grad_in = floats(b * w, "cudaMalloc(discriminator input gradient)");
    gan->fake_grad = floats(b * dd, "cudaMalloc(fake gradient)");
    if (!spans.empty()) gan->fake = floats(b * dd, "cudaMalloc(fake rows)");
    if (gan->gumbel) gan->gumbel_noise = floats(b * dd, "cudaMalloc(gumbel noise)");
    if (!links.empty()) {
      gan->probabilities = floats(b * dd, "cudaMalloc(condition softmax)");
      gan->row_loss = std::make_unique<DeviceBuffer<double>>(b, "cudaMalloc(row losses)");
    }
    gan->sums = std::make_unique<DeviceBuffer<double>>(5, "cudaMalloc(step sums)");
    gan->prepare_adam();
    *out = gan.release();
  });
}

RECKIT_CUDA_EXPORT void reckit_cuda_gan_destroy(reckit_cuda_gan* gan) {
  delete gan;
}

RECKIT_CUDA_EXPORT int reckit_cuda_gan_set_state(reckit_cuda_gan* gan, int network, const float* adam_m,
                                                 const float* adam_v, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(gan->mutex);
    if ((adam_m == nullptr) != (adam_v == nullptr)) invalid("Adam state needs both moments");
    reckit::cuda::DeviceNetwork& net = gan->network(network);
    if (adam_m) {
      net.set_state(adam_m, adam_v, nullptr);
    } else {
      // No state: the CPU starts Adam from zero moments (and t = 0).
      std::vector<float> zeros(net.count(), 0.f);
      net.set_state(zeros.data(), zeros.data(), nullptr);
    }
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_gan_read(reckit_cuda_gan* gan, int network, float* params, float* adam_m,
                                            float* adam_v, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] { gan->read(network, params, adam_m, adam_v); });
}

RECKIT_CUDA_EXPORT int reckit_cuda_gan_d_step(reckit_cuda_gan* gan, const float* real, const float* conditions,
                                              const float* noise, const float* gumbel, size_t rows, float real_target,
                                              float lr, float beta1, float beta2, uint64_t adam_step, double* sums_out,
                                              char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(gan->mutex);
    const size_t dd = gan->data_dim, cd = gan->condition_dim, nd = gan->noise_dim, w = dd + cd, pac = gan->pac;
    if (rows == 0 || rows > gan->max_batch || rows % pac != 0)
      invalid("rows must be a multiple of pac within the batch");
    gan->check_adam_step(adam_step);
    if (cd && !conditions) invalid("this Gan needs conditions");
    if (gan->gumbel && !gumbel) invalid("this Gan's Gumbel spans need their noise");
    gan->upload_batch(real, conditions, noise, gumbel, rows);
    // The generator's fakes (its activations are kept for the G update).
    const float* g_in = gan->noise->get();
    if (cd) {
      launch_concat_rows(gan->noise->get(), nd, gan->cond->get(), cd, rows, gan->g_in->get());
      g_in = gan->g_in->get();
    }
    gan->generator->forward(g_in, rows, gan->g_ws);
    if (gan->span_count) {
      launch_spans_forward(gan->spans->get(), gan->span_count, gan->tau, gan->g_ws.output(),
                           gan->gumbel ? gan->gumbel_noise->get() : nullptr, rows, dd, gan->fake->get());
    }
    // [real ⊕ cond ; fake ⊕ cond], read by D as 2 · rows / pac packed rows.
    float* d_in = gan->d_in->get();
    launch_concat_rows(gan->real->get(), dd, gan->cond->get(), cd, rows, d_in);
    launch_concat_rows(gan->generated(), dd, gan->cond->get(), cd, rows, d_in + rows * w);
    const size_t packs = rows / pac;
    gan->discriminator->forward(d_in, 2 * packs, gan->d_ws);
    const float* logits = gan->d_ws.output();
    double* sums = gan->sums->get();
    launch_bce_constant(logits, packs, real_target, gan->d_grad_out->get(), sums);
    launch_bce_constant(logits + packs, packs, 0.f, gan->d_grad_out->get() + packs, sums + 2);
    gan->discriminator->backward(gan->d_ws, gan->d_grad_out->get(), nullptr, true, false);
    const reckit::OptimizerConfig adam = adam_config(lr, beta1, beta2);
    gan->discriminator->step(adam, adam_step);
    gan->last_rows = rows;
    gan->sums->copy_to_host(sums_out, 4);
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_gan_g_step(reckit_cuda_gan* gan, float lr, float beta1, float beta2,
                                              uint64_t adam_step, double* sums_out, char* message,
                                              size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(gan->mutex);
    const size_t rows = gan->g_step_rows(adam_step);
    const size_t dd = gan->data_dim, cd = gan->condition_dim, w = dd + cd, packs = rows / gan->pac;
    // The fakes of the last D update, still in the second half of d_in, scored by the updated D.
    const float* fakes = gan->d_in->get() + rows * w;
    gan->discriminator->forward(fakes, packs, gan->d_ws);
    double* sums = gan->sums->get();
    launch_bce_constant(gan->d_ws.output(), packs, 1.f, gan->d_grad_out->get(), sums);
    gan->discriminator->backward(gan->d_ws, gan->d_grad_out->get(), gan->d_grad_in->get(), false, false);
    // dL/d(fake) is the data part of each row of dL/d(D's input) (packs are contiguous rows).
    float* fake_grad = gan->fake_grad->get();
    launch_leading_columns(gan->d_grad_in->get(), w, dd, rows, fake_grad);
    if (gan->span_count) {
      launch_spans_backward(gan->spans->get(), gan->span_count, gan->tau, gan->fake->get(), rows, dd, fake_grad);
      if (gan->link_count) {
        launch_condition_loss(gan->links->get(), gan->link_count, gan->g_ws.output(), gan->cond->get(), rows, dd, cd,
                              gan->condition_loss_weight, gan->probabilities->get(), fake_grad, gan->row_loss->get(),
                              sums + 4);
      }
    }
    gan->generator->backward(gan->g_ws, fake_grad, nullptr, true, false);
    gan->generator->step(adam_config(lr, beta1, beta2), adam_step);
    double host[5] = {0, 0, 0, 0, 0};
    gan->sums->copy_to_host(host, 5);
    sums_out[0] = host[0];
    sums_out[1] = gan->link_count ? host[4] : 0.0;
  });
}
