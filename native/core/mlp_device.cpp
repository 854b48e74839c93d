// MlpDevice (mlp_device.h): the resident device copy of an Mlp, and training on it. Why a mirror refreshed lazily
// rather than kept in step with every host change: setParameters, a CPU step and loading replace the whole
// parameter vector anyway, so one re-upload on the next device call costs what mirroring would, with one code path.
#include "core/mlp_device.h"

#include <algorithm>
#include <mutex>
#include <vector>

#include "core/device_networks.h"
#include "core/error.h"

namespace reckit {

MlpDevice::MlpDevice(Mlp& mlp) : mlp_(mlp), api_(cuda_api()) {
  require(api_ != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
}

MlpDevice::~MlpDevice() {
  if (handle_) api_->mlp_destroy(handle_);
}

void MlpDevice::raise(int status) {
  raise_cuda_status(status, message_);
}

void MlpDevice::upload() {
  if (handle_ && device_generation_ == host_generation_) return;
  const size_t count = mlp_.parameter_count();
  const bool adam = mlp_.adam_m().size() == count;  // the CPU restarts Adam (t = 0) when it is not
  const bool velocity = mlp_.velocity().size() == count;
  reckit_cuda_mlp* fresh = nullptr;
  if (!handle_) {
    const LayerArrays layers(mlp_);
    raise(api_->mlp_create(mlp_.input_dim(), layers.units.size(), layers.units.data(), layers.activations.data(),
                           layers.slopes.data(), mlp_.parameters(), &fresh, message_, sizeof message_));
  }
  reckit_cuda_mlp* target = fresh ? fresh : handle_;
  int status =
      api_->mlp_write(target, fresh ? nullptr : mlp_.parameters(), mlp_.gradients(), message_, sizeof message_);
  if (status == RECKIT_CUDA_OK) {
    status = api_->mlp_set_state(target, adam ? mlp_.adam_m().data() : nullptr, adam ? mlp_.adam_v().data() : nullptr,
                                 velocity ? mlp_.velocity().data() : nullptr, message_, sizeof message_);
  }
  if (status != RECKIT_CUDA_OK) {
    if (fresh) api_->mlp_destroy(fresh);  // the host still holds everything: nothing is lost
    raise(status);
  }
  if (fresh) handle_ = fresh;
  has_adam_ = adam;
  has_velocity_ = velocity;
  device_generation_ = host_generation_;
  ahead_ = false;
}

void MlpDevice::pull() {
  if (!handle_ || !ahead_) return;
  const size_t count = mlp_.parameter_count();
  if (has_adam_) {
    mlp_.adam_m().resize(count);
    mlp_.adam_v().resize(count);
  }
  if (has_velocity_) mlp_.velocity().resize(count);
  raise(api_->mlp_read(handle_, mlp_.parameters(), has_adam_ ? mlp_.adam_m().data() : nullptr,
                       has_adam_ ? mlp_.adam_v().data() : nullptr, has_velocity_ ? mlp_.velocity().data() : nullptr,
                       message_, sizeof message_));
  raise(api_->mlp_read_gradients(handle_, mlp_.gradients(), message_, sizeof message_));
  ahead_ = false;
}

void MlpDevice::release() {
  pull();
  if (handle_) api_->mlp_destroy(handle_);
  handle_ = nullptr;
  device_generation_ = 0;
}

void MlpDevice::forward(const float* x, size_t rows, float* out) {
  upload();
  raise(api_->mlp_forward(handle_, x, rows, out, message_, sizeof message_));
}

void MlpDevice::predict(const float* x, size_t rows, float* out) {
  upload();
  raise(api_->mlp_predict(handle_, x, rows, out, message_, sizeof message_));
}

void MlpDevice::backward(const float* grad_out, size_t rows, float* input_grad) {
  upload();
  if (rows == 0) {
    // No rows: zero gradients, as the CPU's GEMM over an empty sum gives.
    std::fill(mlp_.gradients(), mlp_.gradients() + mlp_.parameter_count(), 0.f);
    raise(api_->mlp_write(handle_, nullptr, mlp_.gradients(), message_, sizeof message_));
    return;
  }
  // The gradients come down into the host mirror as well, so the host stays level with the device on them.
  raise(api_->mlp_backward(handle_, grad_out, rows, input_grad, mlp_.gradients(), message_, sizeof message_));
}

uint64_t MlpDevice::next_adam_step(const OptimizerConfig& c) const {
  if (c.kind != OptimizerKind::Adam) return 0;
  return has_adam_ ? mlp_.adam_steps() + 1 : 1;
}

void MlpDevice::stepped(const OptimizerConfig& c, uint64_t t) {
  ahead_ = true;
  if (c.kind == OptimizerKind::Adam) {
    has_adam_ = true;
    mlp_.set_adam_steps(t);
  } else if (c.momentum != 0.f) {
    has_velocity_ = true;
  }
}

void MlpDevice::step(const OptimizerConfig& c, const float* grads) {
  upload();
  const bool adam = c.kind == OptimizerKind::Adam;
  const uint64_t t = next_adam_step(c);
  if (grads) {
    raise(api_->mlp_write(handle_, nullptr, grads, message_, sizeof message_));
    std::copy(grads, grads + mlp_.parameter_count(), mlp_.gradients());
  }
  raise(api_->mlp_step(handle_, adam ? 0 : 1, c.lr, c.beta1, c.beta2, c.eps, c.momentum, c.weight_decay, t, message_,
                       sizeof message_));
  stepped(c, t);
}

double MlpDevice::train_batch(const float* x, const float* y, size_t rows, const TrainOptions& options) {
  upload();
  const OptimizerConfig& c = options.optimizer;
  const bool adam = c.kind == OptimizerKind::Adam;
  const uint64_t t = next_adam_step(c);
  double loss = 0.0;
  raise(api_->mlp_train_batch(handle_, x, y, rows, static_cast<int>(options.loss), adam ? 0 : 1, c.lr, c.beta1, c.beta2,
                              c.eps, c.momentum, c.weight_decay, t, &loss, message_, sizeof message_));
  stepped(c, t);
  return loss;
}

std::vector<double> train_mlp_resident(Mlp& mlp, MlpDevice& device, const float* x, const float* y, size_t rows,
                                       const TrainOptions& options, const std::atomic<bool>* cancel,
                                       const EpochCallback& on_epoch, bool pull_each_epoch, size_t* batches_done) {
  const size_t in = mlp.input_dim(), out = mlp.output_dim();
  const size_t batch = std::min(options.batch_size, rows);
  std::vector<float> bx(batch * in), by(batch * out);
  std::vector<uint32_t> order(rows);
  std::vector<double> losses;
  *batches_done = 0;
  for (size_t epoch = 0; epoch < options.epochs; ++epoch) {
    epoch_order(order.data(), rows, options, epoch);
    double epoch_loss = 0.0;
    for (size_t start = 0; start < rows; start += batch) {
      if (cancel && cancel->load(std::memory_order_relaxed)) return losses;
      const size_t b = std::min(batch, rows - start);
      for (size_t r = 0; r < b; ++r) {
        const size_t src = order[start + r];
        std::copy(x + src * in, x + (src + 1) * in, bx.begin() + r * in);
        std::copy(y + src * out, y + (src + 1) * out, by.begin() + r * out);
      }
      std::unique_lock<std::shared_mutex> lock(mlp.mutex());  // per mini-batch: other calls get in between
      epoch_loss += device.train_batch(bx.data(), by.data(), b, options) * static_cast<double>(b);
      ++*batches_done;
    }
    losses.push_back(epoch_loss / static_cast<double>(rows));
    if (pull_each_epoch) {
      std::unique_lock<std::shared_mutex> lock(mlp.mutex());
      device.pull();
    }
    if (on_epoch && !on_epoch(epoch, losses.back())) break;
  }
  return losses;
}

// train_mlp's device path for a model kept on the CPU: a transient device copy for the run, its state copied
// back into the Mlp after every epoch and when the run stops (also on an error: whole mini-batches are kept, as
// the CPU trainer keeps them).
std::vector<double> train_mlp_device(Mlp& mlp, const float* x, const float* y, size_t rows, const TrainOptions& options,
                                     const std::atomic<bool>* cancel, const EpochCallback& on_epoch) {
  MlpDevice device(mlp);
  auto pull = [&] {
    std::unique_lock<std::shared_mutex> lock(mlp.mutex());
    device.pull();
  };
  size_t done = 0;
  std::vector<double> losses;
  try {
    losses = train_mlp_resident(mlp, device, x, y, rows, options, cancel, on_epoch, true, &done);
  } catch (...) {
    pull();
    throw;
  }
  pull();
  return losses;
}

}  // namespace reckit
