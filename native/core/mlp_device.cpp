// train_mlp on a CUDA device: the CPU trainer's mini-batches (same shuffle, same batch boundaries) run on a
// resident copy of the network (reckit_cuda_mlp); the parameters and the optimizer state come back into the Mlp
// after every epoch and when the run stops, under its write lock. Between those points readers of the Mlp see
// the parameters of the last epoch.
#include <algorithm>
#include <memory>
#include <mutex>
#include <vector>

#include "core/cuda_loader.h"
#include "core/embedding_table_device.h"  // raise_cuda_status
#include "core/error.h"
#include "core/mlp.h"

namespace reckit {
namespace {

struct DeviceMlp {
  const CudaApi* api;
  reckit_cuda_mlp* handle = nullptr;
  ~DeviceMlp() {
    if (handle) api->mlp_destroy(handle);
  }
};

}  // namespace

std::vector<double> train_mlp_device(Mlp& mlp, const float* x, const float* y, size_t rows, const TrainOptions& options,
                                     const std::atomic<bool>* cancel, const EpochCallback& on_epoch) {
  const CudaApi* api = cuda_api();
  require(api != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
  const size_t in = mlp.input_dim(), out = mlp.output_dim(), count = mlp.parameter_count();
  const OptimizerConfig& c = options.optimizer;
  const bool adam = c.kind == OptimizerKind::Adam;
  DeviceMlp device{api};
  char message[512] = {0};
  uint64_t t = 0;
  {
    std::shared_lock<std::shared_mutex> lock(mlp.mutex());
    std::vector<size_t> units;
    std::vector<int> activations;
    std::vector<float> slopes;
    for (const LayerSpec& s : mlp.layers()) {
      units.push_back(s.units);
      activations.push_back(static_cast<int>(s.activation));
      slopes.push_back(s.slope);
    }
    raise_cuda_status(api->mlp_create(in, units.size(), units.data(), activations.data(), slopes.data(),
                                      mlp.parameters(), &device.handle, message, sizeof message),
                      message);
    const bool has_adam = mlp.adam_m().size() == count;  // the CPU restarts Adam (t = 0) when it is not
    const bool has_velocity = mlp.velocity().size() == count;
    raise_cuda_status(api->mlp_set_state(device.handle, has_adam ? mlp.adam_m().data() : nullptr,
                                         has_adam ? mlp.adam_v().data() : nullptr,
                                         has_velocity ? mlp.velocity().data() : nullptr, message, sizeof message),
                      message);
    t = has_adam ? mlp.adam_steps() : 0;
  }
  const bool keeps_adam = adam || mlp.adam_m().size() == count;
  const bool keeps_velocity = (!adam && c.momentum != 0.f) || mlp.velocity().size() == count;
  // Copies the device's parameters and state into the Mlp.
  auto sync = [&] {
    std::unique_lock<std::shared_mutex> lock(mlp.mutex());
    if (keeps_adam) {
      mlp.adam_m().resize(count);
      mlp.adam_v().resize(count);
    }
    if (keeps_velocity) mlp.velocity().resize(count);
    raise_cuda_status(api->mlp_read(device.handle, mlp.parameters(), keeps_adam ? mlp.adam_m().data() : nullptr,
                                    keeps_adam ? mlp.adam_v().data() : nullptr,
                                    keeps_velocity ? mlp.velocity().data() : nullptr, message, sizeof message),
                      message);
    if (keeps_adam) mlp.set_adam_steps(t);
  };

  const size_t batch = std::min(options.batch_size, rows);
  std::vector<float> bx(batch * in), by(batch * out);
  std::vector<uint32_t> order(rows);
  std::vector<double> losses;
  for (size_t epoch = 0; epoch < options.epochs; ++epoch) {
    epoch_order(order.data(), rows, options, epoch);
    double epoch_loss = 0.0;
    for (size_t start = 0; start < rows; start += batch) {
      if (cancel && cancel->load(std::memory_order_relaxed)) {
        sync();
        return losses;
      }
      const size_t b = std::min(batch, rows - start);
      for (size_t r = 0; r < b; ++r) {
        const size_t src = order[start + r];
        std::copy(x + src * in, x + (src + 1) * in, bx.begin() + r * in);
        std::copy(y + src * out, y + (src + 1) * out, by.begin() + r * out);
      }
      double loss = 0.0;
      const int status = api->mlp_train_batch(device.handle, bx.data(), by.data(), b, static_cast<int>(options.loss),
                                              adam ? 0 : 1, c.lr, c.beta1, c.beta2, c.eps, c.momentum, c.weight_decay,
                                              adam ? t + 1 : 0, &loss, message, sizeof message);
      if (status != RECKIT_CUDA_OK) {
        sync();  // keep the updates of every whole mini-batch done so far, as the CPU trainer does
        raise_cuda_status(status, message);
      }
      if (adam) ++t;
      epoch_loss += loss * static_cast<double>(b);
    }
    losses.push_back(epoch_loss / static_cast<double>(rows));
    sync();
    if (on_epoch && !on_epoch(epoch, losses.back())) break;
  }
  return losses;
}

}  // namespace reckit
