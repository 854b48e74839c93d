// EmbeddingTable on a CUDA device: the EmbeddingDeviceTable wrapper over the library's resident table, and
// the EmbeddingTable members that move a table there (freeing its host arrays), copy from it for reads, and move
// it back (an `auto` table out of device memory). The batch was validated
// by EmbeddingTable before any call here; the library validates again (its kernels trust their input).
#include "core/embedding_table_device.h"

#include <cstring>
#include <new>
#include <string>
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

void EmbeddingDeviceTable::read_rows(size_t first_row, size_t count, float* weights) {
  char message[512] = {0};
  raise_cuda_status(api_->table_read_rows(handle_, first_row, count, weights, message, sizeof message), message);
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

namespace {

template <class T>
HugeArray<T> host_array(size_t n, const char* what) {
  try {
    return HugeArray<T>(n);
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::OutOfMemory, std::string("cannot allocate the host copy of the table's ") + what);
  }
}

}  // namespace

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
  // The device copy is now the table: the host arrays go (reads copy what they return from the device).
  if (!mapped_) owned_.reset();
  state_a_.reset();
  state_b_.reset();
  steps_.reset();
  return true;
}

bool EmbeddingTable::on_device() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return device_ != nullptr;
}

HugeArray<float> EmbeddingTable::download_rows() const {
  HugeArray<float> rows = host_array<float>(rows_ * dim_, "rows");
  device_->read(rows.data(), nullptr, nullptr, nullptr);
  return rows;
}

EmbeddingTable::HostState EmbeddingTable::download_state() const {
  HostState s;
  if (!has_state_) return s;
  const bool adam = state_kind_ == SparseOptimizer::Adam;
  s.a = host_array<float>(rows_ * dim_, "optimizer state");
  if (adam) {
    s.b = host_array<float>(rows_ * dim_, "optimizer state");
    s.steps = host_array<uint32_t>(rows_, "optimizer state");
  }
  device_->read(nullptr, s.a.data(), adam ? s.b.data() : nullptr, adam ? s.steps.data() : nullptr);
  return s;
}

bool EmbeddingTable::falls_back(const Error& e) const {
  return automatic_device_ && e.code() == ErrorCode::OutOfMemory;
}

void EmbeddingTable::leave_device_locked() {
  if (!device_) return;
  // Reading back needs no device memory (it goes through the staging buffer); everything is copied before the
  // device copy goes, so a refused host allocation leaves the table on the device.
  HugeArray<float> rows = mapped_ ? HugeArray<float>() : download_rows();
  HostState state = download_state();
  if (!mapped_) owned_ = std::move(rows);
  state_a_ = std::move(state.a);
  state_b_ = std::move(state.b);
  steps_ = std::move(state.steps);
  device_.reset();
}

void EmbeddingTable::leave_device(const EmbeddingDeviceTable* seen) const {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (disposed_ || device_.get() != seen) return;  // another call moved it already
  const_cast<EmbeddingTable*>(this)->leave_device_locked();
}

}  // namespace reckit
