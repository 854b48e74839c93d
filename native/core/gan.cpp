// Gan training loop, generation and discrimination (see gan.h). The discriminator update scores real
// and fake rows as one batch of 2B rows (one GEMM per layer instead of two); the gradient is the same
// sum of the two mean losses' gradients.
#include "core/gan.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include "core/error.h"
#include "core/losses.h"
#include "core/random.h"

namespace reckit {
namespace {

// out[r] = a[r] ⊕ b[r] (b may be absent when cb == 0).
void concat_rows(const float* a, size_t ca, const float* b, size_t cb, size_t rows, float* out) {
  const size_t width = ca + cb;
  for (size_t r = 0; r < rows; ++r) {
    std::memcpy(out + r * width, a + r * ca, ca * sizeof(float));
    if (cb) std::memcpy(out + r * width + ca, b + r * cb, cb * sizeof(float));
  }
}

// Mean BCE of `logits` against a constant target, gradient (of the mean, times `scale`) into grad;
// adds mean sigmoid(logit) to *prob.
double bce_constant(const float* logits, size_t n, float target, float* grad, double* prob) {
  double total = 0.0, p = 0.0;
  const float scale = 1.f / static_cast<float>(n);
  for (size_t i = 0; i < n; ++i) {
    float g;
    total += bce_with_logits(logits[i], target, &g);
    grad[i] = g * scale;
    p += stable_sigmoid(logits[i]);
  }
  if (prob) *prob = p / static_cast<double>(n);
  return total / static_cast<double>(n);
}

// Every buffer a training step touches, sized once before the loop so a step cannot fail halfway.
struct GanBuffers {
  GanBuffers(const Gan& gan, size_t batch) {
    const GanConfig& c = gan.config();
    real.resize(batch * c.data_dim);
    cond.resize(batch * c.condition_dim);
    noise.resize(batch * c.noise_dim);
    g_in.resize(batch * (c.noise_dim + c.condition_dim));
    d_in.resize(2 * batch * (c.data_dim + c.condition_dim));
    d_grad_out.resize(2 * batch);
    d_grad_in.resize(batch * (c.data_dim + c.condition_dim));
    fake_grad.resize(batch * c.data_dim);
    if (!c.output_spans.empty()) {
      fake.resize(batch * c.data_dim);
      gumbel.resize(batch * c.data_dim);
    }
    gan.generator().prepare(g_ws, batch);
    gan.discriminator().prepare(d_ws, 2 * batch / c.pac);
  }
  std::vector<float> real, cond, noise, g_in, d_in, d_grad_out, d_grad_in, fake_grad, fake, gumbel;
  MlpWorkspace g_ws, d_ws;
};

bool has_gumbel(const GanConfig& c) {
  return std::any_of(c.output_spans.begin(), c.output_spans.end(), [](const OutputSpan& s) { return s.kind == SpanKind::Gumbel; });
}

}  // namespace

std::vector<LayerSpec> generator_layers(const GanConfig& config) {
  std::vector<LayerSpec> layers = config.generator;
  LayerSpec out;
  out.units = config.data_dim;
  out.activation = config.output_spans.empty() ? config.output_activation : Activation::Linear;
  layers.push_back(out);
  return layers;
}

std::vector<LayerSpec> discriminator_layers(const GanConfig& config) {
  std::vector<LayerSpec> layers = config.discriminator;
  LayerSpec logit;
  logit.units = 1;
  logit.activation = Activation::Linear;
  layers.push_back(logit);
  return layers;
}

void validate_gan_config(const GanConfig& c) {
  require(c.data_dim >= 1 && c.data_dim <= kMaxUnits, ErrorCode::OutOfRange, "dataDim must be between 1 and 2^20");
  require(c.noise_dim >= 1 && c.noise_dim <= kMaxUnits, ErrorCode::OutOfRange, "noiseDim must be between 1 and 2^20");
  require(c.condition_dim <= kMaxUnits, ErrorCode::OutOfRange, "conditionDim must be between 0 and 2^20");
  require(c.pac >= 1 && c.pac <= 64, ErrorCode::OutOfRange, "pac must be between 1 and 64");
  require(std::isfinite(c.condition_loss_weight) && c.condition_loss_weight >= 0.f, ErrorCode::OutOfRange,
          "conditionLossWeight must be >= 0");
  if (!c.output_spans.empty()) {
    require(c.output_activation == Activation::Linear, ErrorCode::InvalidArg,
            "give either outputSpans or outputActivation, not both");
    validate_spans(c.output_spans, c.data_dim, c.tau);
  }
  require(c.condition_links.empty() || !c.output_spans.empty(), ErrorCode::InvalidArg, "conditionLinks need outputSpans");
  validate_links(c.condition_links, c.output_spans, c.condition_dim);
  validate_layers(c.noise_dim + c.condition_dim, generator_layers(c));
  validate_layers(c.pac * (c.data_dim + c.condition_dim), discriminator_layers(c));
}

Gan::Gan(GanConfig config) : config_(std::move(config)) {
  validate_gan_config(config_);
  generator_ = std::make_unique<Mlp>(config_.noise_dim + config_.condition_dim, generator_layers(config_), config_.seed,
                                     gan_streams::kGeneratorInit);
  discriminator_ = std::make_unique<Mlp>(config_.pac * (config_.data_dim + config_.condition_dim), discriminator_layers(config_),
                                         config_.seed, gan_streams::kDiscriminatorInit);
}

Gan::Gan(GanConfig config, std::unique_ptr<Mlp> generator, std::unique_ptr<Mlp> discriminator)
    : config_(std::move(config)), generator_(std::move(generator)), discriminator_(std::move(discriminator)) {
  validate_gan_config(config_);
}

size_t gan_gather_batch(const GanConfig& config, const float* data, const float* conditions, const uint32_t* order,
                        size_t rows, size_t batch, size_t index, float* real, float* cond) {
  const size_t dd = config.data_dim, cd = config.condition_dim;
  const size_t start = index * batch, b = std::min(batch, rows - start) / config.pac * config.pac;
  for (size_t r = 0; r < b; ++r) {
    const size_t src = order[start + r];
    std::memcpy(&real[r * dd], data + src * dd, dd * sizeof(float));
    if (cd) std::memcpy(&cond[r * cd], conditions + src * cd, cd * sizeof(float));
  }
  return b;
}

size_t Gan::fit(const float* data, const float* conditions, size_t rows, const GanFitOptions& options,
                const std::atomic<bool>* cancel, const std::function<void(const GanProgress&)>& on_epoch) {
  if (options.device) return fit_gan_device(*this, data, conditions, rows, options, cancel, on_epoch);
  const GanConfig& c = config_;
  const size_t dd = c.data_dim, cd = c.condition_dim, nd = c.noise_dim, pac = c.pac;
  require(rows >= pac, ErrorCode::OutOfRange, "data must have at least pac (" + std::to_string(pac) + ") rows");
  const size_t batch = gan_batch_rows(options.batch_size, rows, pac);
  const size_t batches = (rows + batch - 1) / batch;
  const float real_target = 1.f - options.label_smoothing;
  const bool spans = !c.output_spans.empty(), gumbel = has_gumbel(c);
  OptimizerConfig adam;
  adam.kind = OptimizerKind::Adam;
  adam.lr = options.lr;
  adam.beta1 = options.beta1;
  adam.beta2 = options.beta2;

  GanBuffers buf(*this, batch);
  std::vector<uint32_t> order(rows);
  Mlp& G = *generator_;
  Mlp& D = *discriminator_;

  auto gather = [&](size_t index) {
    return gan_gather_batch(c, data, conditions, order.data(), rows, batch, index, buf.real.data(), buf.cond.data());
  };
  // The generator's output for fresh noise of (seed, stream) and the batch's conditions; returns the
  // generator's input and sets *fake to the generated rows.
  auto generate_batch = [&](size_t b, uint64_t stream, const float** fake) {
    fill_normal(buf.noise.data(), b * nd, c.seed, stream, 0.f, 1.f);
    const float* g_in = buf.noise.data();
    if (cd) {
      concat_rows(buf.noise.data(), nd, buf.cond.data(), cd, b, buf.g_in.data());
      g_in = buf.g_in.data();
    }
    G.forward(g_in, b, buf.g_ws);
    *fake = buf.g_ws.acts.back().data();
    if (spans) {
      if (gumbel) fill_gumbel(buf.gumbel.data(), b * dd, c.seed, gan_streams::kGumbel + d_steps_done);
      spans_forward(c.output_spans, c.tau, buf.g_ws.acts.back().data(), gumbel ? buf.gumbel.data() : nullptr, b, dd,
                    buf.fake.data());
      *fake = buf.fake.data();
    }
    return g_in;
  };

  size_t epochs = 0;
  for (; epochs < options.epochs; ++epochs) {
    philox_permutation(order.data(), rows, c.seed, gan_streams::kShuffle + epochs_done);
    double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0, cond_loss = 0;
    size_t d_count = 0, g_count = 0;
    for (size_t next = 0; next < batches;) {
      if ((cancel && cancel->load(std::memory_order_relaxed)) || stop_.load()) return epochs;
      std::unique_lock<std::shared_mutex> lock(mutex_);
      size_t b = 0;
      const float* g_in = nullptr;
      const float* fake = nullptr;
      for (size_t k = 0; k < options.d_steps && next < batches; ++k, ++next) {
        const size_t rows_here = gather(next);
        if (rows_here == 0) continue;
        b = rows_here;
        // Discriminator: rows [0, b) real, [b, 2b) fake (the generator is not updated here). With
        // pac > 1 the same memory is read as b/pac packed rows of pac·(dd + cd) values each.
        g_in = generate_batch(b, gan_streams::kNoise + d_steps_done, &fake);
        const size_t w = dd + cd, packs = b / pac;
        concat_rows(buf.real.data(), dd, buf.cond.data(), cd, b, buf.d_in.data());
        concat_rows(fake, dd, buf.cond.data(), cd, b, buf.d_in.data() + b * w);
        D.forward(buf.d_in.data(), 2 * packs, buf.d_ws);
        const float* logits = buf.d_ws.acts.back().data();
        double p_real, p_fake;
        const double loss = bce_constant(logits, packs, real_target, buf.d_grad_out.data(), &p_real) +
                            bce_constant(logits + packs, packs, 0.f, buf.d_grad_out.data() + packs, &p_fake);
        D.backward(buf.d_in.data(), buf.d_ws, buf.d_grad_out.data(), nullptr, true, false);
        D.step(adam);
        ++d_steps_done;
        d_loss += loss;
        d_real += p_real;
        d_fake += p_fake;
        ++d_count;
      }
      if (b == 0) continue;
      // Generator: non-saturating loss -log D(G(z)) on the fakes of the last discriminator update (as
      // DCGAN does: their forward pass is reused), scored by the updated discriminator, whose
      // parameters stay fixed here.
      const size_t packs = b / pac;
      concat_rows(fake, dd, buf.cond.data(), cd, b, buf.d_in.data());
      D.forward(buf.d_in.data(), packs, buf.d_ws);
      g_loss += bce_constant(buf.d_ws.acts.back().data(), packs, 1.f, buf.d_grad_out.data(), nullptr);
      D.backward(buf.d_in.data(), buf.d_ws, buf.d_grad_out.data(), buf.d_grad_in.data(), false, false);
      // dL/d(fake) is the data part of dL/d(discriminator input) (packed rows are contiguous rows).
      for (size_t r = 0; r < b; ++r) {
        std::memcpy(&buf.fake_grad[r * dd], &buf.d_grad_in[r * (dd + cd)], dd * sizeof(float));
      }
      if (spans) {
        // Through the span activations to the logits, plus the conditional loss on those logits.
        spans_backward(c.output_spans, c.tau, buf.fake.data(), buf.fake_grad.data(), b, dd, buf.fake_grad.data());
        cond_loss += condition_loss(c.condition_links, buf.g_ws.acts.back().data(), buf.cond.data(), b, dd, cd,
                                    c.condition_loss_weight, buf.fake_grad.data());
      }
      G.backward(g_in, buf.g_ws, buf.fake_grad.data(), nullptr, true, false);
      G.step(adam);
      ++g_steps_done;
      ++g_count;
    }
    ++epochs_done;
    if (on_epoch) {
      const double dn = static_cast<double>(std::max<size_t>(d_count, 1)), gn = static_cast<double>(std::max<size_t>(g_count, 1));
      on_epoch(GanProgress{epochs_done - 1, d_loss / dn, g_loss / gn, d_real / dn, d_fake / dn, cond_loss / gn});
    }
  }
  return epochs;
}

void Gan::generate(const float* noise, const float* conditions, size_t rows, float* out) const {
  generate(noise, conditions, rows, config_.seed, gan_streams::kGumbelOfGenerate, out);
}

void Gan::generate(const float* noise, const float* conditions, size_t rows, uint64_t seed, uint64_t gumbel_stream,
                   float* out) const {
  const size_t nd = config_.noise_dim, cd = config_.condition_dim, dd = config_.data_dim;
  std::vector<float> input;
  const float* g_in = noise;
  if (cd) {
    input.resize(rows * (nd + cd));
    concat_rows(noise, nd, conditions, cd, rows, input.data());
    g_in = input.data();
  }
  MlpWorkspace ws;
  std::vector<float> gumbel;
  if (has_gumbel(config_)) {
    gumbel.resize(rows * dd);
    fill_gumbel(gumbel.data(), gumbel.size(), seed, gumbel_stream);
  }
  std::shared_lock<std::shared_mutex> lock(mutex_);
  generator_->forward(g_in, rows, ws);
  if (config_.output_spans.empty()) {
    std::memcpy(out, ws.acts.back().data(), rows * dd * sizeof(float));
  } else {
    spans_forward(config_.output_spans, config_.tau, ws.acts.back().data(), gumbel.empty() ? nullptr : gumbel.data(),
                  rows, dd, out);
  }
}

void Gan::sample(size_t rows, const float* condition, bool per_row, uint64_t seed, uint64_t stream, float* out) const {
  const size_t nd = config_.noise_dim, cd = config_.condition_dim;
  std::vector<float> noise(rows * nd);
  fill_normal(noise.data(), noise.size(), seed, stream, 0.f, 1.f);
  std::vector<float> conds;
  if (cd && !per_row) {
    conds.resize(rows * cd);
    for (size_t r = 0; r < rows; ++r) std::memcpy(&conds[r * cd], condition, cd * sizeof(float));
    condition = conds.data();
  }
  generate(noise.data(), condition, rows, seed, stream + gan_streams::kGumbelOfSample, out);
}

void Gan::discriminate(const float* data, const float* conditions, size_t rows, float* out) const {
  const size_t dd = config_.data_dim, cd = config_.condition_dim;
  require(rows % config_.pac == 0, ErrorCode::DimMismatch,
          "rows (" + std::to_string(rows) + ") must be a multiple of pac (" + std::to_string(config_.pac) + ")");
  std::vector<float> input;
  const float* d_in = data;
  if (cd) {
    input.resize(rows * (dd + cd));
    concat_rows(data, dd, conditions, cd, rows, input.data());
    d_in = input.data();
  }
  MlpWorkspace ws;
  std::shared_lock<std::shared_mutex> lock(mutex_);
  discriminator_->forward(d_in, rows / config_.pac, ws);
  std::memcpy(out, ws.acts.back().data(), rows / config_.pac * sizeof(float));
}

}  // namespace reckit
