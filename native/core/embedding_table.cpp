// EmbeddingTable: storage, seeded init, row access, input validation and the pooled forward passes.
// The backward and the fused optimizer steps live in embedding_table_train.cpp.
#include "core/embedding_table.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>

#include "core/embedding_table_device.h"
#include "core/error.h"
#include "core/random.h"
#include "core/thread_pool.h"
#include "core/validate.h"
#include "cpu/dispatch.h"

namespace reckit {
namespace {

constexpr size_t kMaxRows = size_t{1} << 32;        // ids are 32-bit words
constexpr size_t kGatherRowsPerChunk = 512;        // below this a thread is not worth waking
constexpr size_t kBagsPerChunk = 32;

// parallel_for with the body held by reference: the std::function the pool takes then stores one
// pointer in place instead of heap-allocating a copy of a many-capture lambda on every call.
template <typename Body>
void parallel_for_ref(size_t n, size_t min_per_chunk, Body&& body) {
  ComputePool::instance().parallel_for(n, min_per_chunk,
                                       [&body](size_t chunk, size_t begin, size_t end) { body(chunk, begin, end); });
}

void check_shape(size_t rows, size_t dim) {
  require(rows >= 1 && rows <= kMaxRows, ErrorCode::OutOfRange,
          "rows must be between 1 and 2^32 (got " + std::to_string(rows) + ")");
  require(dim >= 1 && dim <= EmbeddingTable::kMaxDim, ErrorCode::OutOfRange,
          "dim must be between 1 and " + std::to_string(EmbeddingTable::kMaxDim) + " (got " + std::to_string(dim) + ")");
}

std::string describe_index(const IndexArray& a, size_t i) {
  return a.is_signed ? std::to_string(static_cast<int32_t>(a.data[i])) : std::to_string(a.data[i]);
}

}  // namespace

EmbeddingTable::EmbeddingTable(size_t rows, size_t dim) : rows_(rows), dim_(dim) {
  check_shape(rows, dim);
  try {
    owned_ = HugeArray<float>(rows * dim);
  } catch (const std::bad_alloc&) {
    fail(ErrorCode::OutOfMemory, "cannot allocate a " + std::to_string(rows) + " x " + std::to_string(dim) + " table");
  }
}

EmbeddingTable::EmbeddingTable(size_t rows, size_t dim, const float* mapped, std::shared_ptr<const void> owner,
                               std::string origin)
    : rows_(rows), dim_(dim), mapped_(mapped), owner_(std::move(owner)), origin_(std::move(origin)) {
  check_shape(rows, dim);
}

bool EmbeddingTable::disposed() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return disposed_;
}

void EmbeddingTable::require_live() const {
  if (disposed_) fail(ErrorCode::Disposed, "the EmbeddingTable was disposed");
}

void EmbeddingTable::require_writable(const char* what) const {
  require_live();
  if (mapped_) {
    fail(ErrorCode::InvalidArg, std::string("cannot ") + what + ": the table is memory-mapped read-only from '" +
                                    origin_ + "' (load it without { mmap: true } or clone() it to write)");
  }
}

void EmbeddingTable::dispose() {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  disposed_ = true;
  owned_.reset();
  state_a_.reset();
  state_b_.reset();
  steps_.reset();
  has_state_ = false;
  mapped_ = nullptr;
  owner_.reset();
  device_.reset();
}

EmbeddingMemory EmbeddingTable::memory() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  EmbeddingMemory m;
  if (disposed_) return m;
  m.table_bytes = rows_ * dim_ * sizeof(float);
  m.mapped = mapped_ != nullptr;
  if (has_state_) {  // from the kind, not the host arrays: a device table holds none
    const bool adam = state_kind_ == SparseOptimizer::Adam;
    m.optimizer_bytes = rows_ * dim_ * sizeof(float) * (adam ? 2 : 1) + (adam ? rows_ * sizeof(uint32_t) : 0);
  }
  if (device_) m.device_bytes = device_->bytes();  // rows, state, and the batch buffers it keeps
  m.host_bytes = (mapped_ ? m.table_bytes : owned_.size() * sizeof(float)) +
                 (state_a_.size() + state_b_.size()) * sizeof(float) + steps_.size() * sizeof(uint32_t);
  return m;
}

void EmbeddingTable::init_normal(uint64_t seed, float mean, float stddev) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_writable("initialise");
  if (!device_) return fill_normal(owned_.data(), owned_.size(), seed, 0, mean, stddev);
  HugeArray<float> values(rows_ * dim_);
  fill_normal(values.data(), values.size(), seed, 0, mean, stddev);
  write_all_locked(values.data());
}

void EmbeddingTable::init_uniform(uint64_t seed, float low, float high) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_writable("initialise");
  if (!device_) return fill_uniform(owned_.data(), owned_.size(), seed, 0, low, high);
  HugeArray<float> values(rows_ * dim_);
  fill_uniform(values.data(), values.size(), seed, 0, low, high);
  write_all_locked(values.data());
}

void EmbeddingTable::assign(const float* values, size_t length) {
  require(length == rows_ * dim_, ErrorCode::DimMismatch,
          "data must have rows * dim = " + std::to_string(rows_ * dim_) + " values (got " + std::to_string(length) + ")");
  require_finite(values, length, "data");
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_writable("assign");
  write_all_locked(values);
}

void EmbeddingTable::write_all_locked(const float* values) {
  // On an `auto` table that runs out of device memory, the table moves to the CPU first and is written there.
  if (run_on_device_locked([&](EmbeddingDeviceTable& d) { d.write_rows(0, rows_, values); })) return;
  std::memcpy(owned_.data(), values, rows_ * dim_ * sizeof(float));
}

std::shared_ptr<EmbeddingTable> EmbeddingTable::clone() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  require_live();
  auto copy = std::make_shared<EmbeddingTable>(rows_, dim_);
  if (rows_on_device()) device_->read(copy->owned_.data(), nullptr, nullptr, nullptr);
  else std::memcpy(copy->owned_.data(), rows_data(), rows_ * dim_ * sizeof(float));
  copy->has_state_ = has_state_;
  copy->state_kind_ = state_kind_;
  if (device_ && has_state_) {
    HostState state = download_state();
    copy->state_a_ = std::move(state.a);
    copy->state_b_ = std::move(state.b);
    copy->steps_ = std::move(state.steps);
  } else {
    copy->state_a_ = HugeArray<float>::copy_of(state_a_.data(), state_a_.size());
    copy->state_b_ = HugeArray<float>::copy_of(state_b_.data(), state_b_.size());
    copy->steps_ = HugeArray<uint32_t>::copy_of(steps_.data(), steps_.size());
  }
  // A device table's clone lives on the device too (its host arrays are freed again there).
  if (device_) copy->to_device(automatic_device_);
  return copy;
}

void EmbeddingTable::get_row(size_t row, float* out) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  require_live();
  require(row < rows_, ErrorCode::OutOfRange,
          "row " + std::to_string(row) + " is out of range for a table of " + std::to_string(rows_) + " rows");
  if (rows_on_device()) return device_->read_rows(row, 1, out);  // one row, not the table
  std::memcpy(out, rows_data() + row * dim_, dim_ * sizeof(float));
}

void EmbeddingTable::set_row(size_t row, const float* values, size_t length) {
  require(length == dim_, ErrorCode::DimMismatch,
          "vector must have dim = " + std::to_string(dim_) + " values (got " + std::to_string(length) + ")");
  require_finite(values, length, "vector");
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_writable("set a row");
  require(row < rows_, ErrorCode::OutOfRange,
          "row " + std::to_string(row) + " is out of range for a table of " + std::to_string(rows_) + " rows");
  if (run_on_device_locked([&](EmbeddingDeviceTable& d) { d.write_rows(row, 1, values); })) return;
  std::memcpy(owned_.data() + row * dim_, values, dim_ * sizeof(float));
}

void EmbeddingTable::copy_all(float* out) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  require_live();
  if (rows_on_device()) return device_->read(out, nullptr, nullptr, nullptr);  // straight into the caller's array
  std::memcpy(out, rows_data(), rows_ * dim_ * sizeof(float));
}

EmbeddingReadView EmbeddingTable::read_view(bool with_state) const {
  EmbeddingReadView view{std::shared_lock<std::shared_mutex>(mutex_), rows_data(), rows_, dim_, {}, nullptr};
  require_live();
  view.state = EmbeddingTableStateView{has_state_, state_kind_, state_a_.data(), state_b_.data(), steps_.data()};
  if (!device_) return view;
  // A device table: the view reads a host copy made for it and freed with it.
  struct Snapshot {
    HugeArray<float> rows;
    HostState state;
  };
  auto snapshot = std::make_shared<Snapshot>();
  if (!mapped_) {
    snapshot->rows = download_rows();
    view.data = snapshot->rows.data();
  }
  view.state.present = has_state_ && with_state;
  if (view.state.present) {
    snapshot->state = download_state();
    view.state.a = snapshot->state.a.data();
    view.state.b = snapshot->state.b.data();
    view.state.steps = snapshot->state.steps.data();
  }
  view.snapshot = std::move(snapshot);
  return view;
}

void EmbeddingTable::validate(const BagBatch& batch) const {
  const IndexArray& ids = batch.ids;
  for (size_t i = 0; i < ids.length; ++i) {
    const uint32_t v = ids.data[i];
    if (ids.is_signed && static_cast<int32_t>(v) < 0) {
      fail(ErrorCode::OutOfRange, "ids[" + std::to_string(i) + "] = " + describe_index(ids, i) + " is negative");
    }
    if (v >= rows_) {
      fail(ErrorCode::OutOfRange, "ids[" + std::to_string(i) + "] = " + describe_index(ids, i) +
                                      " is out of range for a table of " + std::to_string(rows_) + " rows");
    }
  }
  if (batch.has_offsets) {
    const IndexArray& off = batch.offsets;
    require(off.length > 0 || ids.length == 0, ErrorCode::DimMismatch,
            "offsets must name at least one bag when ids is not empty");
    for (size_t b = 0; b < off.length; ++b) {
      const uint32_t v = off.data[b];
      if (off.is_signed && static_cast<int32_t>(v) < 0) {
        fail(ErrorCode::OutOfRange, "offsets[" + std::to_string(b) + "] = " + describe_index(off, b) + " is negative");
      }
      if (v > ids.length) {
        fail(ErrorCode::OutOfRange, "offsets[" + std::to_string(b) + "] = " + std::to_string(v) +
                                        " is past the end of ids (length " + std::to_string(ids.length) + ")");
      }
      if (b == 0 && v != 0) fail(ErrorCode::OutOfRange, "offsets[0] must be 0 (got " + std::to_string(v) + ")");
      if (b > 0 && v < off.data[b - 1]) {
        fail(ErrorCode::OutOfRange, "offsets must be non-decreasing: offsets[" + std::to_string(b) + "] = " +
                                        std::to_string(v) + " < offsets[" + std::to_string(b - 1) +
                                        "] = " + std::to_string(off.data[b - 1]));
      }
    }
  }
  if (batch.weights) {
    require(batch.weights_length == ids.length, ErrorCode::DimMismatch,
            "weights must have one value per id (" + std::to_string(ids.length) + ", got " +
                std::to_string(batch.weights_length) + ")");
    require_finite(batch.weights, batch.weights_length, "weights");
  }
}

void EmbeddingTable::lookup(const IndexArray& ids, float* out, const cpu::Kernels& k) const {
  BagBatch batch;
  batch.ids = ids;
  batch.has_offsets = false;
  validate(batch);
  std::shared_lock<std::shared_mutex> lock(mutex_);
  require_live();
  if (run_on_device(lock, [&](EmbeddingDeviceTable& d) { d.bag(batch, out); })) return;
  const float* table = rows_data();
  const size_t dim = dim_;
  const auto gather = k.embedding.gather_f32;
  parallel_for_ref(ids.length, kGatherRowsPerChunk, [&](size_t, size_t begin, size_t end) {
    gather(table, dim, ids.data, ids.length, begin, end, out + begin * dim);
  });
}

void EmbeddingTable::lookup_bag(const BagBatch& batch, float* out, const cpu::Kernels& k) const {
  require(batch.has_offsets, ErrorCode::Internal, "lookup_bag needs offsets");
  validate(batch);
  std::shared_lock<std::shared_mutex> lock(mutex_);
  require_live();
  if (run_on_device(lock, [&](EmbeddingDeviceTable& d) { d.bag(batch, out); })) return;
  const cpu::BagProblem p{rows_data(), dim_,         batch.ids.data, batch.ids.length, batch.offsets.data,
                          batch.bags(), batch.weights, out};
  const cpu::EmbeddingKernels& e = k.embedding;
  const PoolMode mode = batch.mode;
  parallel_for_ref(p.bags, kBagsPerChunk, [&](size_t, size_t begin, size_t end) {
    if (mode == PoolMode::Max) e.bag_max_f32(p, begin, end);
    else e.bag_sum_f32(p, begin, end, mode == PoolMode::Mean);
  });
}

}  // namespace reckit
