// EmbeddingTable on a CUDA device: the EmbeddingDeviceTable wrapper over the library's resident table, and
// the EmbeddingTable members that move a table there and keep its host mirror fresh. The batch was validated
// by EmbeddingTable before any call here; the library validates again (its kernels trust their input).
#include "core/embedding_table_device.h"

#include <cstring>
#include <mutex>

#include "core/error.h"

namespace reckit {

namespace {

const CudaApi& usable_api() {
  const CudaApi* api = cuda_api();
  require(api != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
  return *api;
}

const uint32_t* offsets_of(const BagBatch& batch) { return batch.has_offsets ? batch.offsets.data : nullptr; }

}  // namespace

EmbeddingDeviceTable::EmbeddingDeviceTable(const float* weights, size_t rows, size_t dim) : api_(&usable_api()) {
  char message[512] = {0};
  raise_cuda_status(api_->table_create(weights, rows, dim, &handle_, message, sizeof message), message);
}

EmbeddingDeviceTable::~EmbeddingDeviceTable() {
  if (handle_) api_->table_destroy(handle_);
}

void EmbeddingDeviceTable::write_rows(size_t first_row, size_t count, const float* weights) {
  char message[512] = {0};
  raise_cuda_status(api_->table_write(handle_, first_row, count, weights, message, sizeof message), message);
}

void EmbeddingDeviceTable::set_state(int kind, const float* a, const float* b, const uint32_t* steps) {
  char message[512] = {0};
  raise_cuda_status(api_->table_set_state(handle_, kind, a, b, steps, message, sizeof message), message);
}

void EmbeddingDeviceTable::read(float* weights, float* a, float* b, uint32_t* steps) {
  char message[512] = {0};
  raise_cuda_status(api_->table_read(handle_, weights, a, b, steps, message, sizeof message), message);
}

void EmbeddingDeviceTable::bag(const BagBatch& batch, float* out) {
  char message[512] = {0};
  raise_cuda_status(api_->table_bag(handle_, batch.ids.data, batch.ids.length, offsets_of(batch), batch.bags(),
                                    batch.weights, static_cast<int>(batch.mode), out, message, sizeof message),
                    message);
}

SparseGradient EmbeddingDeviceTable::backward(const BagBatch& batch, const float* grad_out, size_t dim) {
  const size_t n = batch.ids.length;
  SparseGradient g;
  g.rows.resize(n);
  g.grads.resize(n * dim);
  if (batch.weights) g.weight_grads.resize(n);
  size_t touched = 0;
  char message[512] = {0};
  raise_cuda_status(api_->table_backward(handle_, batch.ids.data, n, offsets_of(batch), batch.bags(), batch.weights,
                                         static_cast<int>(batch.mode), grad_out, g.rows.data(), g.grads.data(),
                                         batch.weights ? g.weight_grads.data() : nullptr, &touched, message,
                                         sizeof message),
                    message);
  g.rows.resize(touched);
  g.grads.resize(touched * dim);
  return g;
}

size_t EmbeddingDeviceTable::step(const BagBatch& batch, const float* grad_out, const SparseOptimizerConfig& c,
                                  float* weight_grads) {
  size_t touched = 0;
  char message[512] = {0};
  raise_cuda_status(api_->table_step(handle_, static_cast<int>(c.kind), c.lr, c.weight_decay, c.eps, c.beta1, c.beta2,
                                     batch.ids.data, batch.ids.length, offsets_of(batch), batch.bags(), batch.weights,
                                     static_cast<int>(batch.mode), grad_out, weight_grads, &touched, message,
                                     sizeof message),
                    message);
  return touched;
}

size_t EmbeddingDeviceTable::bytes() const { return api_->table_bytes(handle_); }

// ---- EmbeddingTable's device members ---------------------------------------------------------------------

bool EmbeddingTable::to_device(bool automatic) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_live();
  if (device_) return true;
  try {
    auto device = std::make_shared<EmbeddingDeviceTable>(rows_data(), rows_, dim_);
    if (has_state_) {
      const bool adam = state_kind_ == SparseOptimizer::Adam;
      device->set_state(static_cast<int>(state_kind_), state_a_.data(), adam ? state_b_.data() : nullptr,
                        adam ? steps_.data() : nullptr);
    }
    device_ = std::move(device);
  } catch (const Error& e) {
    if (!automatic || e.code() != ErrorCode::OutOfMemory) throw;
    return false;  // `auto`: a table the device cannot hold stays on the CPU
  }
  automatic_device_ = automatic;
  host_stale_ = false;
  return true;
}

bool EmbeddingTable::on_device() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return device_ != nullptr;
}

void EmbeddingTable::sync_host(bool rows) const {
  std::lock_guard<std::mutex> sync(sync_mutex_);
  if (!device_ || !host_stale_) return;
  // The mirror is logically const: it only catches up with the device (readers share the table's lock).
  auto* self = const_cast<EmbeddingTable*>(this);
  const bool adam = has_state_ && state_kind_ == SparseOptimizer::Adam;
  try {
    if (has_state_ && self->state_a_.size() != rows_ * dim_) self->state_a_ = HugeArray<float>(rows_ * dim_);
    if (adam && self->state_b_.size() != rows_ * dim_) self->state_b_ = HugeArray<float>(rows_ * dim_);
    if (adam && self->steps_.size() != rows_) self->steps_ = HugeArray<uint32_t>(rows_);
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::OutOfMemory, "cannot allocate the host copy of the table's optimizer state");
  }
  device_->read(rows ? self->owned_.data() : nullptr, has_state_ ? self->state_a_.data() : nullptr,
                adam ? self->state_b_.data() : nullptr, adam ? self->steps_.data() : nullptr);
  // A state-only refresh leaves the rows stale: only a caller that overwrites them all asks for it.
  host_stale_ = false;
}

bool EmbeddingTable::falls_back(const Error& e) const {
  return automatic_device_ && e.code() == ErrorCode::OutOfMemory;
}

void EmbeddingTable::leave_device_locked(bool rows_current) {
  if (!device_) return;
  sync_host(!rows_current);  // reading back needs no device memory: it goes through the staging buffer
  device_.reset();
  host_stale_ = false;
}

void EmbeddingTable::leave_device(const EmbeddingDeviceTable* seen) const {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (disposed_ || device_.get() != seen) return;  // another call moved it already
  const_cast<EmbeddingTable*>(this)->leave_device_locked();
}

}  // namespace reckit
