// Gan::fit on a CUDA device (cuda_abi.h's reckit_cuda_gan): the CPU loop's batches, streams and counters, with
// the networks, their Adam state and the step's math resident on the device. The host gathers each batch in the
// epoch's Philox order and draws its noise and Gumbel noise with the CPU's own code (fill_normal, fill_gumbel:
// the same seed gives the same draws bit for bit, where a device Box–Muller would differ in the last bits of
// log/sin/cos); the draws are small (noise_dim × batch floats) next to the networks' work. The parameters, the
// Adam state and the counters come back into the Gan, under its write lock, after every epoch and when the fit
// stops (abort, dispose, a device error): readers in between see the model as of the last epoch, and a fit can
// resume on either device from what it left.
#include <algorithm>
#include <mutex>
#include <vector>

#include "core/cuda_loader.h"
#include "core/device_networks.h"
#include "core/error.h"
#include "core/gan.h"
#include "core/random.h"

namespace reckit {

size_t fit_gan_device(Gan& gan, const float* data, const float* conditions, size_t rows, const GanFitOptions& options,
                      const std::atomic<bool>* cancel, const std::function<void(const GanProgress&)>& on_epoch) {
  const CudaApi* api = cuda_api();
  require(api != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
  const GanConfig& c = gan.config();
  const size_t dd = c.data_dim, cd = c.condition_dim, nd = c.noise_dim, pac = c.pac;
  require(rows >= pac, ErrorCode::OutOfRange, "data must have at least pac (" + std::to_string(pac) + ") rows");
  const size_t batch = gan_batch_rows(options.batch_size, rows, pac);  // the CPU loop's batching
  const size_t batches = (rows + batch - 1) / batch;
  const float real_target = 1.f - options.label_smoothing;
  const bool gumbel = std::any_of(c.output_spans.begin(), c.output_spans.end(),
                                  [](const OutputSpan& s) { return s.kind == SpanKind::Gumbel; });
  Mlp& G = gan.generator();
  Mlp& D = gan.discriminator();

  DeviceHandle<reckit_cuda_gan> device(api->gan_destroy);
  char message[512] = {0};
  uint64_t t_g = 0, t_d = 0;
  bool synced_g = false, synced_d = false;  // a network's state comes back once it held some or stepped
  {
    std::shared_lock<std::shared_mutex> lock(gan.mutex());
    const LayerArrays g(G), d(D);
    std::vector<int> kinds;
    std::vector<size_t> widths, link_conditions, link_data, link_widths;
    for (const OutputSpan& s : c.output_spans) {
      kinds.push_back(static_cast<int>(s.kind));
      widths.push_back(s.width);
    }
    for (const ConditionLink& l : c.condition_links) {
      link_conditions.push_back(l.condition_start);
      link_data.push_back(l.data_start);
      link_widths.push_back(l.width);
    }
    reckit_cuda_gan_config config{};
    config.data_dim = dd;
    config.noise_dim = nd;
    config.condition_dim = cd;
    config.pac = pac;
    config.max_batch = batch;
    config.generator_layers = g.units.size();
    config.generator_units = g.units.data();
    config.generator_activations = g.activations.data();
    config.generator_slopes = g.slopes.data();
    config.discriminator_layers = d.units.size();
    config.discriminator_units = d.units.data();
    config.discriminator_activations = d.activations.data();
    config.discriminator_slopes = d.slopes.data();
    config.spans = kinds.size();
    config.span_kinds = kinds.data();
    config.span_widths = widths.data();
    config.tau = c.tau;
    config.links = link_widths.size();
    config.link_condition_starts = link_conditions.data();
    config.link_data_starts = link_data.data();
    config.link_widths = link_widths.data();
    config.condition_loss_weight = c.condition_loss_weight;
    raise_cuda_status(api->gan_create(&config, G.parameters(), D.parameters(), &device.handle, message, sizeof message),
                      message);
    // Mlp::step restarts Adam (zero moments, t = 0) when the model holds no state; the device does the same.
    synced_g = holds_adam(G);
    synced_d = holds_adam(D);
    raise_cuda_status(api->gan_set_state(device.handle, 0, synced_g ? G.adam_m().data() : nullptr,
                                         synced_g ? G.adam_v().data() : nullptr, message, sizeof message),
                      message);
    raise_cuda_status(api->gan_set_state(device.handle, 1, synced_d ? D.adam_m().data() : nullptr,
                                         synced_d ? D.adam_v().data() : nullptr, message, sizeof message),
                      message);
    t_g = synced_g ? G.adam_steps() : 0;
    t_d = synced_d ? D.adam_steps() : 0;
  }
  // Local counters: written into the model with the parameters, so a reader never sees one without the other.
  FitCounters done = FitCounters::of(gan);

  // Copies the device's networks, their Adam state and the counters into the Gan.
  auto sync = [&] {
    std::unique_lock<std::shared_mutex> lock(gan.mutex());
    // A network that never stepped and held no state did not change.
    if (synced_g) read_network(api->gan_read, device.handle, 0, G, true, t_g, message, sizeof message);
    if (synced_d) read_network(api->gan_read, device.handle, 1, D, true, t_d, message, sizeof message);
    done.store(gan);
  };
  auto call = [&](int status) { keep_and_raise(status, message, sync); };

  std::vector<float> real(batch * dd), cond(batch * cd), noise(batch * nd), gumbel_noise(gumbel ? batch * dd : 0);
  std::vector<uint32_t> order(rows);
  auto gather = [&](size_t index) {
    return gan_gather_batch(c, data, conditions, order.data(), rows, batch, index, real.data(), cond.data());
  };

  size_t epochs = 0;
  for (; epochs < options.epochs; ++epochs) {
    philox_permutation(order.data(), rows, c.seed, gan_streams::kShuffle + done.epochs_done);
    double d_loss = 0, g_loss = 0, d_real = 0, d_fake = 0, cond_loss = 0;
    size_t d_count = 0, g_count = 0;
    for (size_t next = 0; next < batches;) {
      if (fit_stop_asked(cancel, gan)) {
        sync();
        return epochs;
      }
      size_t b = 0;
      for (size_t k = 0; k < options.d_steps && next < batches; ++k, ++next) {
        const size_t rows_here = gather(next);
        if (rows_here == 0) continue;
        b = rows_here;
        fill_normal(noise.data(), b * nd, c.seed, gan_streams::kNoise + done.d_steps_done, 0.f, 1.f);
        if (gumbel) fill_gumbel(gumbel_noise.data(), b * dd, c.seed, gan_streams::kGumbel + done.d_steps_done);
        double sums[4] = {0, 0, 0, 0};
        call(api->gan_d_step(device.handle, real.data(), cd ? cond.data() : nullptr, noise.data(),
                             gumbel ? gumbel_noise.data() : nullptr, b, real_target, options.lr, options.beta1,
                             options.beta2, t_d + 1, sums, message, sizeof message));
        ++t_d;
        synced_d = true;
        ++done.d_steps_done;
        const double packs = static_cast<double>(b / pac);
        d_loss += sums[0] / packs + sums[2] / packs;
        d_real += sums[1] / packs;
        d_fake += sums[3] / packs;
        ++d_count;
      }
      if (b == 0) continue;
      double sums[2] = {0, 0};
      call(api->gan_g_step(device.handle, options.lr, options.beta1, options.beta2, t_g + 1, sums, message,
                           sizeof message));
      ++t_g;
      synced_g = true;
      ++done.g_steps_done;
      g_loss += sums[0] / static_cast<double>(b / pac);
      cond_loss += sums[1] / static_cast<double>(b);
      ++g_count;
    }
    ++done.epochs_done;
    sync();
    if (on_epoch) {
      const double dn = static_cast<double>(std::max<size_t>(d_count, 1)),
                   gn = static_cast<double>(std::max<size_t>(g_count, 1));
      on_epoch(GanProgress{done.epochs_done - 1, d_loss / dn, g_loss / gn, d_real / dn, d_fake / dn, cond_loss / gn});
    }
  }
  return epochs;
}

}  // namespace reckit
