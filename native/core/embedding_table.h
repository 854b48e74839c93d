// EmbeddingTable: a rows × dim float32 table with pooled lookups, their backward, and fused sparse
// optimizer steps that touch only the rows of a batch (row-wise Adagrad/Adam state).
// Contract of the pooled lookup (PyTorch EmbeddingBag offsets):
//   bag b covers ids[offsets[b] .. (b + 1 < bags ? offsets[b + 1] : n))
//   sum:  out[b] = Σ_i w_i · T[ids[i]];  mean: out[b] = sum / len_b;  max: out[b][d] = max_i w_i · T[ids[i]][d]
//   an empty bag yields zeros; w_i = weights[i] or 1.
// Backward (sparse): each touched row once, rows ascending, its gradient summed over its occurrences in
// position order (so results are deterministic for any thread count); for max, element d of bag b's
// gradient goes to the first position holding the maximum. Every input is validated in one pass before
// anything is read or written, so a bad batch never half-applies. Reads share the object; writes are exclusive.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "core/embedding_optimizers.h"
#include "core/error.h"
#include "core/huge_array.h"

namespace reckit::cpu {
struct Kernels;
}

namespace reckit {

class EmbeddingDeviceTable;  // core/embedding_table_device.h

enum class PoolMode { Sum = 0, Mean = 1, Max = 2 };

// Row numbers or offsets as 32-bit words; `is_signed` when they came from an Int32Array (negatives are errors).
struct IndexArray {
  const uint32_t* data = nullptr;
  size_t length = 0;
  bool is_signed = false;
};

// A batch of bags. Without offsets (has_offsets false) every id is a bag of its own (a plain lookup).
struct BagBatch {
  IndexArray ids;
  IndexArray offsets;
  bool has_offsets = true;
  PoolMode mode = PoolMode::Sum;
  const float* weights = nullptr;  // per id, or null
  size_t weights_length = 0;
  size_t bags() const { return has_offsets ? offsets.length : ids.length; }
};

struct SparseGradient {
  std::vector<uint32_t> rows;       // unique touched rows, ascending
  std::vector<float> grads;         // rows.size() × dim
  std::vector<float> weight_grads;  // per id (only when the batch had weights)
};

struct EmbeddingMemory {
  size_t table_bytes = 0;
  size_t optimizer_bytes = 0;
  size_t device_bytes = 0;  // rows, optimizer state and batch buffers held on the CUDA device (0 on the CPU)
  size_t host_bytes = 0;    // rows and optimizer state held in host memory (a device table: none)
  bool mapped = false;
};

// Pointers to the optimizer state's storage; valid only while the holder of a read_view() keeps it.
struct EmbeddingTableStateView {
  bool present = false;
  SparseOptimizer kind = SparseOptimizer::Sgd;
  const float* a = nullptr;
  const float* b = nullptr;
  const uint32_t* steps = nullptr;
};

// A consistent read-only view of the rows (and, when asked for, the optimizer state), held under the table's
// shared lock (for CosineIndex.fromTable, saves, BPR). A device table's view points at a host copy made for it.
struct EmbeddingReadView {
  std::shared_lock<std::shared_mutex> lock;
  const float* data = nullptr;
  size_t rows = 0, dim = 0;
  EmbeddingTableStateView state;
  std::shared_ptr<const void> snapshot;  // the host copy a device table's view reads (null on the CPU)
};

// Optimizer state as stored (for persistence). Arrays are empty when the kind has no such state.
struct EmbeddingOptimizerState {
  bool present = false;
  SparseOptimizer kind = SparseOptimizer::Sgd;
  std::vector<float> a;         // Adagrad: Σg² ; Adam: m    (rows × dim)
  std::vector<float> b;         // Adam: v                   (rows × dim)
  std::vector<uint32_t> steps;  // Adam: per-row step count  (rows)
};

class EmbeddingTable {
 public:
  static constexpr size_t kMaxDim = 1 << 16;

  // A zero-filled table; throws ERR_RECKIT_OUT_OF_RANGE for empty/oversized shapes, OUT_OF_MEMORY when refused.
  EmbeddingTable(size_t rows, size_t dim);
  // A read-only table over memory someone else owns (a mapped file kept alive by `owner`).
  EmbeddingTable(size_t rows, size_t dim, const float* mapped, std::shared_ptr<const void> owner, std::string origin);

  // Seeded Philox init (stream 0 of `seed`): the same table on any thread count.
  void init_normal(uint64_t seed, float mean, float stddev);
  void init_uniform(uint64_t seed, float low, float high);
  // Copies rows × dim finite values (validated first).
  void assign(const float* values, size_t length);

  size_t rows() const { return rows_; }
  size_t dim() const { return dim_; }
  bool read_only() const { return mapped_ != nullptr; }
  bool disposed() const;
  void dispose();
  EmbeddingMemory memory() const;
  std::shared_ptr<EmbeddingTable> clone() const;  // an owned, writable copy (with optimizer state)

  void get_row(size_t row, float* out) const;
  void set_row(size_t row, const float* values, size_t length);
  void copy_all(float* out) const;  // rows × dim
  // with_state: view.state points at the optimizer state too (a device table copies it for the view).
  EmbeddingReadView read_view(bool with_state = false) const;

  // out: ids.length × dim.
  void lookup(const IndexArray& ids, float* out, const cpu::Kernels& k) const;
  // out: bags × dim.
  void lookup_bag(const BagBatch& batch, float* out, const cpu::Kernels& k) const;
  SparseGradient backward(const BagBatch& batch, const float* grad_out, size_t grad_length) const;
  // Backward + optimizer update in one pass over the unique rows; returns the weights' gradient (pre-update)
  // when the batch has weights, and the number of rows touched.
  struct StepResult {
    size_t rows_touched = 0;
    std::vector<float> weight_grads;
  };
  StepResult step(const BagBatch& batch, const float* grad_out, size_t grad_length, const SparseOptimizerConfig& config);

  // Optimizer state: the kind it was created for (present false when none yet).
  bool has_optimizer_state() const;
  SparseOptimizer optimizer_kind() const;
  void reset_optimizer();
  EmbeddingOptimizerState export_optimizer_state() const;
  void import_optimizer_state(EmbeddingOptimizerState state);  // validated sizes; replaces the current state

  // Checks of a batch against this table; throw with the first bad element named.
  void validate(const BagBatch& batch) const;

  EmbeddingTable(const EmbeddingTable&) = delete;
  EmbeddingTable& operator=(const EmbeddingTable&) = delete;

  // Where a mapped table's rows come from (a path), for messages.
  const std::string& origin() const { return origin_; }

  // Moves the rows and the optimizer state into CUDA device memory (embedding_table_device.cpp): lookups,
  // backward and step then run there against the resident table, and the host arrays are freed (a mapped
  // table keeps its mapping): reads (get, data, save, clone, the optimizer state) copy what they return from
  // the device, so a device table costs no host memory between calls. Throws
  // ERR_RECKIT_NO_DEVICE (with the reason) when CUDA is not usable, OUT_OF_MEMORY when the device is full
  // (the table then stays on the CPU). Idempotent.
  // `automatic` (the `auto` device): the device is a preference, not a demand. Out of device memory here
  // leaves the table on the CPU without an error, and out of device memory in a later call moves it back to
  // the CPU (rows and optimizer state copied back first) where that call then runs. Returns on_device().
  bool to_device(bool automatic = false);
  bool on_device() const;

 private:
  // A device table's rows or optimizer state copied into new host arrays (OUT_OF_MEMORY when the host refuses
  // them); callers hold mutex_ either way.
  struct HostState {
    HugeArray<float> a, b;
    HugeArray<uint32_t> steps;
  };
  HugeArray<float> download_rows() const;
  HostState download_state() const;
  // Whether reads of the rows go to the device: a mapped table's device copy equals its (read-only) mapping.
  bool rows_on_device() const { return device_ && !mapped_; }
  // Every row replaced by `values`, on the device when the table is there; caller holds mutex_ exclusively.
  void write_all_locked(const float* values);
  // Whether a device call's error moves this table back to the CPU: out of device memory on an `auto` table.
  bool falls_back(const Error& e) const;
  // Copies the device's rows and state into host arrays and frees the device copy; the caller holds mutex_
  // exclusively. A failed copy throws and leaves the table on the device.
  void leave_device_locked();
  // leave_device_locked under the exclusive lock, for readers that hit out-of-memory under the shared lock
  // (placement, not contents: logically const). Does nothing when the device copy is no longer `seen`.
  void leave_device(const EmbeddingDeviceTable* seen) const;
  // Runs body(device) while the table is on the device and returns true; when an `auto` table runs out of
  // device memory, moves it to the CPU and returns false (the caller then runs there). `lock` is the caller's
  // shared lock on mutex_ (released while the table moves).
  template <class Body>
  bool run_on_device(std::shared_lock<std::shared_mutex>& lock, Body&& body) const {
    while (EmbeddingDeviceTable* seen = device_.get()) {
      try {
        body(*seen);
        return true;
      } catch (const Error& e) {
        if (!falls_back(e)) throw;
      }
      lock.unlock();
      leave_device(seen);
      lock.lock();
      require_live();
    }
    return false;
  }
  // The same for writers under the exclusive lock: false when the table is (now) on the CPU.
  template <class Body>
  bool run_on_device_locked(Body&& body) {
    if (!device_) return false;
    try {
      body(*device_);
      return true;
    } catch (const Error& e) {
      if (!falls_back(e)) throw;
    }
    leave_device_locked();
    return false;
  }
  void check_state_kind(SparseOptimizer kind) const;
  void require_live() const;
  void require_writable(const char* what) const;
  const float* rows_data() const { return mapped_ ? mapped_ : owned_.data(); }
  void ensure_state(SparseOptimizer kind);

  size_t rows_, dim_;
  HugeArray<float> owned_;  // huge-page backed: lookups read random rows
  const float* mapped_ = nullptr;
  std::shared_ptr<const void> owner_;
  std::string origin_;
  bool disposed_ = false;

  bool has_state_ = false;
  SparseOptimizer state_kind_ = SparseOptimizer::Sgd;
  HugeArray<float> state_a_, state_b_;
  HugeArray<uint32_t> steps_;

  // Set when the table lives on a CUDA device; owned_ and the state arrays are then empty.
  std::shared_ptr<EmbeddingDeviceTable> device_;
  bool automatic_device_ = false;  // placed with `auto`: device out-of-memory moves it back

  mutable std::shared_mutex mutex_;
};

}  // namespace reckit
