// Cfgan::fit on a CUDA device (cuda_abi.h's reckit_cuda_cfgan): the CPU loop's batches, draws and counters, with the
// networks, their Adam state and the step's math resident on the device. The host builds each D update's share
// with the CPU's own code (cfgan_draw_batch: purchase vectors, noise, PM / ZR masks from the same Philox streams),
// so a seed gives the same draws on both devices. The parameters and counters come back into the model, under its
// write lock, after every epoch and when the fit stops.
#include <algorithm>
#include <mutex>
#include <vector>

#include "core/cfgan.h"
#include "core/cuda_loader.h"
#include "core/device_networks.h"
#include "core/error.h"
#include "core/random.h"

namespace reckit {

size_t fit_cfgan_device(Cfgan& model, const PurchaseCsr& data, const CfganFitOptions& options,
                        const std::atomic<bool>* cancel, const std::function<void(const CfganProgress&)>& on_epoch) {
  const CudaApi* api = cuda_api();
  require(api != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
  const CfganConfig& c = model.config();
  const size_t n = c.items, nd = c.noise_dim, rows = data.users;
  const size_t batch = std::min(options.batch_size, rows);
  const size_t batches = (rows + batch - 1) / batch;
  Mlp& G = model.generator();
  Mlp& D = model.discriminator();

  DeviceHandle<reckit_cuda_cfgan> device(api->cfgan_destroy);
  char message[512] = {0};
  uint64_t t_g = 0, t_d = 0;
  {
    std::shared_lock<std::shared_mutex> lock(model.mutex());
    // A CFGAN fit trains fresh networks: their Adam starts at t = 0 on both devices.
    require(G.adam_m().empty() && D.adam_m().empty(), ErrorCode::InvalidArg, "a CFGAN fit starts from fresh networks");
    const LayerArrays g(G), d(D);
    raise_cuda_status(
        api->cfgan_create(n, nd, batch, g.units.size(), g.units.data(), g.activations.data(), g.slopes.data(),
                          G.parameters(), d.units.size(), d.units.data(), d.activations.data(), d.slopes.data(),
                          D.parameters(), &device.handle, message, sizeof message),
        message);
  }
  // Local counters: written into the model with the parameters, so a reader never sees one without the other.
  FitCounters done = FitCounters::of(model);

  // Copies the device's parameters and the counters into the model (CFGAN keeps no optimizer state after a fit).
  auto sync = [&] {
    std::unique_lock<std::shared_mutex> lock(model.mutex());
    read_network(api->cfgan_read, device.handle, 0, G, false, 0, message, sizeof message);
    read_network(api->cfgan_read, device.handle, 1, D, false, 0, message, sizeof message);
    done.store(model);
  };
  auto call = [&](int status) { keep_and_raise(status, message, sync); };

  std::vector<float> cond(batch * n), noise(batch * nd), draws(2 * batch * n), pm(batch * n), zr(batch * n),
      g_in(batch * (nd + n));
  std::vector<uint32_t> order(rows);
  size_t epochs = 0;
  for (; epochs < options.epochs; ++epochs) {
    philox_permutation(order.data(), rows, c.seed, cfgan_streams::kShuffle + done.epochs_done);
    double d_loss = 0, g_loss = 0, zr_loss = 0;
    size_t d_count = 0, g_count = 0;
    for (size_t next = 0; next < batches;) {
      if (fit_stop_asked(cancel, model)) {
        sync();
        return epochs;
      }
      size_t b = 0;
      for (size_t k = 0; k < options.d_steps && next < batches; ++k, ++next) {
        const size_t start = next * batch;
        b = std::min(batch, rows - start);
        cfgan_draw_batch(c, data, &order[start], b, done.d_steps_done, options, cond.data(), noise.data(), draws.data(),
                         pm.data(), zr.data(), g_in.data());
        double sums[2] = {0, 0};
        call(api->cfgan_d_step(device.handle, g_in.data(), cond.data(), pm.data(), zr.data(), b, options.lr,
                               options.beta1, options.beta2, ++t_d, sums, message, sizeof message));
        ++done.d_steps_done;
        d_loss += sums[0] / static_cast<double>(b) + sums[1] / static_cast<double>(b);
        ++d_count;
      }
      double sums[2] = {0, 0};
      call(api->cfgan_g_step(device.handle, options.zr_weight, options.lr, options.beta1, options.beta2, ++t_g, sums,
                             message, sizeof message));
      ++done.g_steps_done;
      g_loss += sums[0] / static_cast<double>(b);
      zr_loss += sums[1] * (options.zr_weight / static_cast<float>(b));
      ++g_count;
    }
    ++done.epochs_done;
    sync();
    if (on_epoch) {
      on_epoch(CfganProgress{done.epochs_done - 1, d_loss / static_cast<double>(d_count),
                             g_loss / static_cast<double>(g_count), zr_loss / static_cast<double>(g_count)});
    }
  }
  return epochs;
}

}  // namespace reckit
