// CFGAN training and scoring (see cfgan.h). The discriminator update scores real and masked fake rows
// as one batch of 2B rows; the generator update reuses the last discriminator step's fakes and masks
// (their forward pass is already done), scored by the updated discriminator.
#include "core/cfgan.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "core/error.h"
#include "core/losses.h"
#include "core/random.h"

namespace reckit {
namespace {

// Mean BCE of `logits` against a constant target; gradient of the mean into grad.
double bce_constant(const float* logits, size_t n, float target, float* grad) {
  double total = 0.0;
  const float scale = 1.f / static_cast<float>(n);
  for (size_t i = 0; i < n; ++i) {
    float g;
    total += bce_with_logits(logits[i], target, &g);
    grad[i] = g * scale;
  }
  return total / static_cast<double>(n);
}

// Every buffer a step touches, sized before the loop so a step cannot fail halfway.
struct Buffers {
  Buffers(const Cfgan& m, size_t batch) {
    const size_t n = m.config().items, nd = m.config().noise_dim;
    cond.resize(batch * n);
    noise.resize(batch * nd);
    g_in.resize(batch * (nd + n));
    draws.resize(2 * batch * n);
    pm.resize(batch * n);
    zr.resize(batch * n);
    d_in.resize(2 * batch * 2 * n);
    d_grad_out.resize(2 * batch);
    d_grad_in.resize(batch * 2 * n);
    fake_grad.resize(batch * n);
    m.generator().prepare(g_ws, batch);
    m.discriminator().prepare(d_ws, 2 * batch);
  }
  std::vector<float> cond, noise, g_in, draws, pm, zr, d_in, d_grad_out, d_grad_in, fake_grad;
  MlpWorkspace g_ws, d_ws;
};

// Row r of out = the purchase vector of user `u` (0/1 over items).
void purchase_row(const PurchaseCsr& data, int32_t u, size_t n, float* out) {
  std::fill(out, out + n, 0.f);
  for (int32_t j = data.offsets[u]; j < data.offsets[u + 1]; ++j) out[data.items[j]] = 1.f;
}

}  // namespace

void cfgan_draw_batch(const CfganConfig& c, const PurchaseCsr& data, const uint32_t* users, size_t b, uint64_t d_step,
                      const CfganFitOptions& options, float* cond, float* noise, float* draws, float* pm, float* zr,
                      float* g_in) {
  const size_t n = c.items, nd = c.noise_dim, gw = nd + n;
  // Conditions (= real rows), noise, and the PM / ZR samples of non-purchased items.
  for (size_t r = 0; r < b; ++r) purchase_row(data, static_cast<int32_t>(users[r]), n, &cond[r * n]);
  if (nd) fill_normal(noise, b * nd, c.seed, cfgan_streams::kNoise + d_step, 0.f, 1.f);
  fill_uniform(draws, 2 * b * n, c.seed, cfgan_streams::kMask + d_step, 0.f, 1.f);
  for (size_t e = 0; e < b * n; ++e) {
    const bool bought = cond[e] != 0.f;
    pm[e] = bought || draws[e] < options.pm_ratio ? 1.f : 0.f;
    zr[e] = !bought && draws[b * n + e] < options.zr_ratio ? 1.f : 0.f;
  }
  for (size_t r = 0; r < b; ++r) {
    if (nd) std::memcpy(&g_in[r * gw], &noise[r * nd], nd * sizeof(float));
    std::memcpy(&g_in[r * gw + nd], &cond[r * n], n * sizeof(float));
  }
}

std::vector<LayerSpec> cfgan_generator_layers(const CfganConfig& c) {
  std::vector<LayerSpec> layers = c.generator;
  LayerSpec out;
  out.units = c.items;
  out.activation = Activation::Sigmoid;
  layers.push_back(out);
  return layers;
}

std::vector<LayerSpec> cfgan_discriminator_layers(const CfganConfig& c) {
  std::vector<LayerSpec> layers = c.discriminator;
  LayerSpec logit;
  logit.units = 1;
  layers.push_back(logit);
  return layers;
}

void validate_cfgan_config(const CfganConfig& c) {
  require(c.items >= 1 && c.items <= kMaxUnits, ErrorCode::OutOfRange, "items must be between 1 and 2^20");
  require(c.noise_dim <= kMaxUnits, ErrorCode::OutOfRange, "noiseDim must be between 0 and 2^20");
  validate_layers(c.noise_dim + c.items, cfgan_generator_layers(c));
  validate_layers(2 * c.items, cfgan_discriminator_layers(c));
}

Cfgan::Cfgan(CfganConfig config) : config_(std::move(config)) {
  validate_cfgan_config(config_);
  generator_ = std::make_unique<Mlp>(config_.noise_dim + config_.items, cfgan_generator_layers(config_), config_.seed,
                                     cfgan_streams::kGeneratorInit);
  discriminator_ = std::make_unique<Mlp>(2 * config_.items, cfgan_discriminator_layers(config_), config_.seed,
                                         cfgan_streams::kDiscriminatorInit);
}

Cfgan::Cfgan(CfganConfig config, const float* generator, size_t generator_count, const float* discriminator,
             size_t discriminator_count)
    : Cfgan(std::move(config)) {
  require(generator_count == generator_->parameter_count(), ErrorCode::DimMismatch,
          "generator has " + std::to_string(generator_count) + " parameters, expected " +
              std::to_string(generator_->parameter_count()));
  require(discriminator_count == discriminator_->parameter_count(), ErrorCode::DimMismatch,
          "discriminator has " + std::to_string(discriminator_count) + " parameters, expected " +
              std::to_string(discriminator_->parameter_count()));
  std::memcpy(generator_->parameters(), generator, generator_count * sizeof(float));
  std::memcpy(discriminator_->parameters(), discriminator, discriminator_count * sizeof(float));
}

size_t Cfgan::fit(const PurchaseCsr& data, const CfganFitOptions& options, const std::atomic<bool>* cancel,
                  const std::function<void(const CfganProgress&)>& on_epoch) {
  if (options.device) return fit_cfgan_device(*this, data, options, cancel, on_epoch);
  const size_t n = config_.items, rows = data.users;
  const size_t batch = std::min(options.batch_size, rows);
  const size_t batches = (rows + batch - 1) / batch;
  OptimizerConfig adam;
  adam.kind = OptimizerKind::Adam;
  adam.lr = options.lr;
  adam.beta1 = options.beta1;
  adam.beta2 = options.beta2;

  Buffers buf(*this, batch);
  std::vector<uint32_t> order(rows);
  Mlp& G = *generator_;
  Mlp& D = *discriminator_;
  const size_t dw = 2 * n;

  size_t epochs = 0;
  for (; epochs < options.epochs; ++epochs) {
    philox_permutation(order.data(), rows, config_.seed, cfgan_streams::kShuffle + epochs_done);
    double d_loss = 0, g_loss = 0, zr_loss = 0;
    size_t d_count = 0, g_count = 0;
    for (size_t next = 0; next < batches;) {
      if ((cancel && cancel->load(std::memory_order_relaxed)) || stop_.load()) return epochs;
      std::unique_lock<std::shared_mutex> lock(mutex_);
      size_t b = 0;
      for (size_t k = 0; k < options.d_steps && next < batches; ++k, ++next) {
        const size_t start = next * batch;
        b = std::min(batch, rows - start);
        cfgan_draw_batch(config_, data, &order[start], b, d_steps_done, options, buf.cond.data(), buf.noise.data(),
                         buf.draws.data(), buf.pm.data(), buf.zr.data(), buf.g_in.data());
        G.forward(buf.g_in.data(), b, buf.g_ws);
        const float* fake = buf.g_ws.acts.back().data();
        // Discriminator rows [0, b): e_u ⊕ e_u; rows [b, 2b): (r̂_u ⊙ pm_u) ⊕ e_u.
        for (size_t r = 0; r < b; ++r) {
          float* real_row = &buf.d_in[r * dw];
          float* fake_row = &buf.d_in[(b + r) * dw];
          std::memcpy(real_row, &buf.cond[r * n], n * sizeof(float));
          std::memcpy(real_row + n, &buf.cond[r * n], n * sizeof(float));
          for (size_t j = 0; j < n; ++j) fake_row[j] = fake[r * n + j] * buf.pm[r * n + j];
          std::memcpy(fake_row + n, &buf.cond[r * n], n * sizeof(float));
        }
        D.forward(buf.d_in.data(), 2 * b, buf.d_ws);
        const float* logits = buf.d_ws.acts.back().data();
        d_loss += bce_constant(logits, b, 1.f, buf.d_grad_out.data()) +
                  bce_constant(logits + b, b, 0.f, buf.d_grad_out.data() + b);
        D.backward(buf.d_in.data(), buf.d_ws, buf.d_grad_out.data(), nullptr, true, false);
        D.step(adam);
        ++d_steps_done;
        ++d_count;
      }
      // Generator: non-saturating -log D(r̂_u ⊙ pm_u | e_u) + α/B · Σ_{j ∈ ZR_u} r̂_uj², on the last
      // discriminator step's fakes and masks; D's parameters stay fixed here.
      const float* fake = buf.g_ws.acts.back().data();
      for (size_t r = 0; r < b; ++r) {
        float* fake_row = &buf.d_in[r * dw];
        for (size_t j = 0; j < n; ++j) fake_row[j] = fake[r * n + j] * buf.pm[r * n + j];
        std::memcpy(fake_row + n, &buf.cond[r * n], n * sizeof(float));
      }
      D.forward(buf.d_in.data(), b, buf.d_ws);
      g_loss += bce_constant(buf.d_ws.acts.back().data(), b, 1.f, buf.d_grad_out.data());
      D.backward(buf.d_in.data(), buf.d_ws, buf.d_grad_out.data(), buf.d_grad_in.data(), false, false);
      const float zr_scale = options.zr_weight / static_cast<float>(b);
      double zr = 0.0;
      for (size_t r = 0; r < b; ++r) {
        for (size_t j = 0; j < n; ++j) {
          const size_t e = r * n + j;
          const float y = fake[e];
          // d(masked)/d(r̂) is the mask; the ZR term adds 2α/B · r̂ on its sample.
          buf.fake_grad[e] = buf.d_grad_in[r * dw + j] * buf.pm[e] + 2.f * zr_scale * y * buf.zr[e];
          zr += static_cast<double>(buf.zr[e]) * y * y;
        }
      }
      zr_loss += zr * zr_scale;
      G.backward(buf.g_in.data(), buf.g_ws, buf.fake_grad.data(), nullptr, true, false);
      G.step(adam);
      ++g_steps_done;
      ++g_count;
    }
    ++epochs_done;
    if (on_epoch) {
      on_epoch(CfganProgress{epochs_done - 1, d_loss / static_cast<double>(d_count),
                             g_loss / static_cast<double>(g_count), zr_loss / static_cast<double>(g_count)});
    }
  }
  return epochs;
}

void Cfgan::score(const PurchaseCsr& data, const int32_t* users, size_t count, float* out) const {
  const size_t n = config_.items, nd = config_.noise_dim, gw = nd + n;
  // Chunks of users bound the workspace; the noise part stays 0 (the mean of the training noise).
  const size_t chunk = 256;
  std::vector<float> g_in(std::min(chunk, count) * gw, 0.f);
  MlpWorkspace ws;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  for (size_t start = 0; start < count; start += chunk) {
    const size_t b = std::min(chunk, count - start);
    for (size_t r = 0; r < b; ++r) purchase_row(data, users[start + r], n, &g_in[r * gw + nd]);
    generator_->forward(g_in.data(), b, ws);
    std::memcpy(out + start * n, ws.acts.back().data(), b * n * sizeof(float));
  }
}

}  // namespace reckit
