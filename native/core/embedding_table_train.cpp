// EmbeddingTable's backward and fused sparse optimizer steps. Both group the batch by unique row
// (a stable radix sort of positions by id), sum each row's gradient once in position order, and — for
// step() — apply the optimizer to that row in the same pass. Work is partitioned by unique row, so no
// two threads write one row and the result does not depend on how chunks are scheduled.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>
#include <new>

#include "core/embedding_table.h"
#include "core/embedding_table_device.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "core/validate.h"
#include "cpu/dispatch.h"

namespace reckit {
namespace {

constexpr size_t kRowsPerChunk = 64;       // unique rows per parallel slice of the update
constexpr size_t kPositionsPerChunk = 1024;
constexpr size_t kBagsPerChunk = 32;
constexpr unsigned kMaxDigitBits = 11;     // radix digits: 2048 buckets stay in L1
constexpr size_t kRowPrefetch = 8;         // unique rows ahead whose table/state rows are prefetched
constexpr size_t kUpdateBlock = 32;        // unique rows whose gradients are pooled per kernel call

// parallel_for with the body held by reference: the std::function the pool takes then stores one
// pointer in place instead of heap-allocating a copy of a many-capture lambda on every call.
template <typename Body>
void parallel_for_ref(size_t n, size_t min_per_chunk, Body&& body) {
  ComputePool::instance().parallel_for(n, min_per_chunk,
                                       [&body](size_t chunk, size_t begin, size_t end) { body(chunk, begin, end); });
}

// Hints the lines of a row (and of its optimizer state) a few rows before the update needs them.
inline void prefetch_row(const float* row, size_t dim) {
#if defined(__GNUC__)
  for (size_t off = 0; off < dim; off += 16) __builtin_prefetch(row + off, 1, 3);
#else
  (void)row;
  (void)dim;
#endif
}

// Per-calling-thread buffers, grown on demand and reused, so a training loop allocates nothing per step.
struct Scratch {
  std::vector<uint32_t> keys, keys_tmp, pos, pos_tmp;  // radix sort
  std::vector<uint32_t> run_start;                     // unique row u = positions pos[run_start[u] .. run_start[u+1])
  std::vector<uint32_t> bag_of;                        // bag of each position
  std::vector<uint32_t> argmax;                        // max mode: bags × dim positions
  std::vector<uint32_t> identity;                      // offsets of a plain lookup (every id its own bag)
  std::vector<uint32_t> sorted_bag;                    // sum/mean: bag of the r-th position in row order
  std::vector<float> coef;                             // sum/mean: its weight (· 1/len for mean)
  std::vector<uint32_t> histogram;
};

Scratch& scratch() {
  static thread_local Scratch s;
  return s;
}

// A row-sized buffer per pool thread for the summed gradient of one row.
float* row_buffer(size_t dim) {
  static thread_local std::vector<float> buffer;
  if (buffer.size() < dim) buffer.resize(dim);
  return buffer.data();
}

template <typename T>
void ensure_size(std::vector<T>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

// Stable LSD radix sort of positions 0..n-1 by ids[pos] (< rows), then the run boundaries of equal ids.
void group_by_row(const uint32_t* ids, size_t n, size_t rows, Scratch& s) {
  ensure_size(s.keys, n);
  ensure_size(s.keys_tmp, n);
  ensure_size(s.pos, n);
  ensure_size(s.pos_tmp, n);
  unsigned bits = 1;
  while (bits < 32 && (uint64_t{1} << bits) < rows) ++bits;
  const unsigned passes = (bits + kMaxDigitBits - 1) / kMaxDigitBits;
  const unsigned digit_bits = (bits + passes - 1) / passes;
  const size_t buckets = size_t{1} << digit_bits;
  ensure_size(s.histogram, buckets);
  std::memcpy(s.keys.data(), ids, n * sizeof(uint32_t));
  for (size_t i = 0; i < n; ++i) s.pos[i] = static_cast<uint32_t>(i);
  for (unsigned pass = 0; pass < passes; ++pass) {
    const unsigned shift = pass * digit_bits;
    const uint32_t mask = static_cast<uint32_t>(buckets - 1);
    std::fill(s.histogram.begin(), s.histogram.begin() + buckets, 0u);
    for (size_t i = 0; i < n; ++i) ++s.histogram[(s.keys[i] >> shift) & mask];
    uint32_t sum = 0;
    for (size_t d = 0; d < buckets; ++d) {
      const uint32_t c = s.histogram[d];
      s.histogram[d] = sum;
      sum += c;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint32_t slot = s.histogram[(s.keys[i] >> shift) & mask]++;
      s.keys_tmp[slot] = s.keys[i];
      s.pos_tmp[slot] = s.pos[i];
    }
    s.keys.swap(s.keys_tmp);
    s.pos.swap(s.pos_tmp);
  }
  s.run_start.clear();
  for (size_t i = 0; i < n; ++i) {
    if (i == 0 || s.keys[i] != s.keys[i - 1]) s.run_start.push_back(static_cast<uint32_t>(i));
  }
  s.run_start.push_back(static_cast<uint32_t>(n));
}

// Everything the row-wise pass needs, computed before any row changes.
struct Plan {
  const BagBatch* batch;
  const uint32_t* offsets;  // bags entries
  size_t bags, n, dim;
  const float* grad_out;    // bags × dim
  Scratch* s;
  size_t unique() const { return s->run_start.size() - 1; }
  size_t bag_len(size_t b) const { return (b + 1 < bags ? offsets[b + 1] : n) - offsets[b]; }
};

Plan make_plan(const BagBatch& batch, const float* grad_out, size_t rows, size_t dim, Scratch& s) {
  Plan p{&batch, nullptr, batch.bags(), batch.ids.length, dim, grad_out, &s};
  if (batch.has_offsets) {
    p.offsets = batch.offsets.data;
  } else {
    ensure_size(s.identity, p.n);
    for (size_t i = 0; i < p.n; ++i) s.identity[i] = static_cast<uint32_t>(i);
    p.offsets = s.identity.data();
  }
  ensure_size(s.bag_of, p.n);
  for (size_t b = 0; b < p.bags; ++b) {
    const size_t end = b + 1 < p.bags ? p.offsets[b + 1] : p.n;
    for (size_t i = p.offsets[b]; i < end; ++i) s.bag_of[i] = static_cast<uint32_t>(b);
  }
  group_by_row(batch.ids.data, p.n, rows, s);
  if (batch.mode != PoolMode::Max) {
    // Row u's gradient is then a weighted bag over gradOut's rows: Σ_r coef[r] · gradOut[sorted_bag[r]]
    // for r in run u — the forward's pooled-sum kernel computes it with prefetch and register blocking.
    ensure_size(s.sorted_bag, p.n);
    ensure_size(s.coef, p.n);
    for (size_t r = 0; r < p.n; ++r) {
      const uint32_t i = s.pos[r];
      const uint32_t b = s.bag_of[i];
      const float w = batch.weights ? batch.weights[i] : 1.f;
      s.sorted_bag[r] = b;
      s.coef[r] = batch.mode == PoolMode::Mean ? w / static_cast<float>(p.bag_len(b)) : w;
    }
  }
  return p;
}

// Sum/mean: the gradients of unique rows [first, first + count) into out (count × dim).
inline void pooled_row_gradients(const Plan& p, size_t first, size_t count, float* out,
                                 const cpu::EmbeddingKernels& k) {
  const Scratch& s = *p.s;
  const cpu::BagProblem q{p.grad_out, p.dim, s.sorted_bag.data(), s.run_start[first + count],
                          s.run_start.data() + first, count, s.coef.data(), out};
  k.bag_sum_f32(q, 0, count, false);
}

// Max mode: for every (bag, d), the first position holding the maximum of w_i · T[ids[i]][d].
void compute_argmax(const Plan& p, const float* table) {
  ensure_size(p.s->argmax, p.bags * p.dim);
  uint32_t* argmax = p.s->argmax.data();
  const BagBatch& batch = *p.batch;
  parallel_for_ref(p.bags, kBagsPerChunk, [&](size_t, size_t begin, size_t end) {
    float* best = row_buffer(p.dim);
    for (size_t b = begin; b < end; ++b) {
      const size_t first = p.offsets[b], last = first + p.bag_len(b);
      uint32_t* arg = argmax + b * p.dim;
      for (size_t i = first; i < last; ++i) {
        const float* row = table + size_t{batch.ids.data[i]} * p.dim;
        const float w = batch.weights ? batch.weights[i] : 1.f;
        for (size_t d = 0; d < p.dim; ++d) {
          const float v = w * row[d];
          if (i == first || v > best[d]) {
            best[d] = v;
            arg[d] = static_cast<uint32_t>(i);
          }
        }
      }
    }
  });
}

// d out[bag(i)] / d w_i, read from the table before any update.
void compute_weight_grads(const Plan& p, const float* table, float* out) {
  const BagBatch& batch = *p.batch;
  const uint32_t* argmax = p.s->argmax.data();
  parallel_for_ref(p.n, kPositionsPerChunk, [&](size_t, size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) {
      const size_t b = p.s->bag_of[i];
      const float* row = table + size_t{batch.ids.data[i]} * p.dim;
      const float* g = p.grad_out + b * p.dim;
      double acc = 0;
      if (batch.mode == PoolMode::Max) {
        for (size_t d = 0; d < p.dim; ++d) {
          if (argmax[b * p.dim + d] == i) acc += static_cast<double>(g[d]) * row[d];
        }
      } else {
        for (size_t d = 0; d < p.dim; ++d) acc += static_cast<double>(g[d]) * row[d];
        if (batch.mode == PoolMode::Mean) acc /= static_cast<double>(p.bag_len(b));
      }
      out[i] = static_cast<float>(acc);
    }
  });
}

// The summed gradient of unique row u into g (dim floats).
inline void row_gradient(const Plan& p, size_t u, float* g, const cpu::EmbeddingKernels& k) {
  const Scratch& s = *p.s;
  const BagBatch& batch = *p.batch;
  std::fill(g, g + p.dim, 0.f);
  for (size_t r = s.run_start[u]; r < s.run_start[u + 1]; ++r) {
    const uint32_t i = s.pos[r];
    const size_t b = s.bag_of[i];
    const float w = batch.weights ? batch.weights[i] : 1.f;
    const float* go = p.grad_out + b * p.dim;
    if (batch.mode == PoolMode::Max) {
      const uint32_t* arg = s.argmax.data() + b * p.dim;
      for (size_t d = 0; d < p.dim; ++d) {
        if (arg[d] == i) g[d] += w * go[d];
      }
    } else {
      const float coef = batch.mode == PoolMode::Mean ? w / static_cast<float>(p.bag_len(b)) : w;
      k.axpy_f32(coef, go, g, p.dim);
    }
  }
}

void check_grad(const BagBatch& batch, size_t dim, const float* grad_out, size_t grad_length) {
  const size_t expected = batch.bags() * dim;
  require(grad_length == expected, ErrorCode::DimMismatch,
          "gradOut must have bags * dim = " + std::to_string(expected) + " values (got " +
              std::to_string(grad_length) + ")");
  require_finite(grad_out, grad_length, "gradOut");
}

void check_config(const SparseOptimizerConfig& c) {
  auto finite_nonneg = [](float v, const char* name) {
    require(std::isfinite(v) && v >= 0.f, ErrorCode::OutOfRange, std::string(name) + " must be a finite number >= 0");
  };
  finite_nonneg(c.lr, "lr");
  finite_nonneg(c.weight_decay, "weightDecay");
  require(std::isfinite(c.eps) && c.eps > 0.f, ErrorCode::OutOfRange, "eps must be a finite number > 0");
  require(c.beta1 >= 0.f && c.beta1 < 1.f, ErrorCode::OutOfRange, "beta1 must be in [0, 1)");
  require(c.beta2 >= 0.f && c.beta2 < 1.f, ErrorCode::OutOfRange, "beta2 must be in [0, 1)");
}

const char* optimizer_name(SparseOptimizer kind) {
  switch (kind) {
    case SparseOptimizer::Sgd: return "sgd";
    case SparseOptimizer::Adagrad: return "adagrad";
    case SparseOptimizer::Adam: return "adam";
  }
  return "?";
}

}  // namespace

SparseGradient EmbeddingTable::backward(const BagBatch& batch, const float* grad_out, size_t grad_length) const {
  validate(batch);
  check_grad(batch, dim_, grad_out, grad_length);
  std::shared_lock<std::shared_mutex> lock(mutex_);
  require_live();
  SparseGradient on_device;
  if (run_on_device(lock, [&](EmbeddingDeviceTable& d) { on_device = d.backward(batch, grad_out, dim_); })) {
    return on_device;
  }
  Scratch& s = scratch();
  const Plan p = make_plan(batch, grad_out, rows_, dim_, s);
  const float* table = rows_data();
  if (batch.mode == PoolMode::Max) compute_argmax(p, table);
  SparseGradient out;
  const size_t unique = p.unique();
  out.rows.resize(unique);
  out.grads.resize(unique * dim_);
  if (batch.weights) {
    out.weight_grads.resize(p.n);
    compute_weight_grads(p, table, out.weight_grads.data());
  }
  const cpu::EmbeddingKernels& k = cpu::kernels().embedding;
  parallel_for_ref(unique, kRowsPerChunk, [&](size_t, size_t begin, size_t end) {
    for (size_t u = begin; u < end; ++u) out.rows[u] = s.keys[s.run_start[u]];
    if (batch.mode == PoolMode::Max) {
      for (size_t u = begin; u < end; ++u) row_gradient(p, u, out.grads.data() + u * p.dim, k);
    } else {
      pooled_row_gradients(p, begin, end - begin, out.grads.data() + begin * p.dim, k);
    }
  });
  return out;
}

void EmbeddingTable::check_state_kind(SparseOptimizer kind) const {
  if (kind != SparseOptimizer::Sgd && has_state_ && state_kind_ != kind) {
    fail(ErrorCode::InvalidArg, std::string("the table holds ") + optimizer_name(state_kind_) +
                                    " state; call resetOptimizer() before stepping with " + optimizer_name(kind));
  }
}

void EmbeddingTable::ensure_state(SparseOptimizer kind) {
  if (kind == SparseOptimizer::Sgd) return;  // stateless; any existing state is kept as is
  check_state_kind(kind);
  if (has_state_) return;
  try {
    state_a_ = HugeArray<float>(rows_ * dim_);
    if (kind == SparseOptimizer::Adam) {
      state_b_ = HugeArray<float>(rows_ * dim_);
      steps_ = HugeArray<uint32_t>(rows_);
    }
  } catch (const std::bad_alloc&) {
    state_a_.reset();
    state_b_.reset();
    steps_.reset();
    fail(ErrorCode::OutOfMemory, std::string("cannot allocate ") + optimizer_name(kind) + " state for the table");
  }
  has_state_ = true;
  state_kind_ = kind;
}

EmbeddingTable::StepResult EmbeddingTable::step(const BagBatch& batch, const float* grad_out, size_t grad_length,
                                                const SparseOptimizerConfig& config) {
  validate(batch);
  check_grad(batch, dim_, grad_out, grad_length);
  check_config(config);
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_writable("step");
  if (device_) check_state_kind(config.kind);
  StepResult on_device;
  // A failed device step changed nothing (it allocates before it writes), so on `auto` the CPU redoes it whole.
  if (run_on_device_locked([&](EmbeddingDeviceTable& d) {
        if (batch.weights) on_device.weight_grads.resize(batch.ids.length);
        on_device.rows_touched = d.step(batch, grad_out, config, batch.weights ? on_device.weight_grads.data() : nullptr);
      })) {
    if (config.kind != SparseOptimizer::Sgd && !has_state_) {
      has_state_ = true;  // the device created it (and holds it: a device table has no host copy)
      state_kind_ = config.kind;
    }
    return on_device;
  }
  ensure_state(config.kind);
  Scratch& s = scratch();
  const Plan p = make_plan(batch, grad_out, rows_, dim_, s);
  float* table = owned_.data();
  if (batch.mode == PoolMode::Max) compute_argmax(p, table);
  StepResult result;
  result.rows_touched = p.unique();
  if (batch.weights) {
    result.weight_grads.resize(p.n);
    compute_weight_grads(p, table, result.weight_grads.data());
  }
  const cpu::EmbeddingKernels& k = cpu::kernels().embedding;
  const size_t dim = dim_;
  const SparseOptimizerConfig c = config;
  parallel_for_ref(p.unique(), kRowsPerChunk, [&](size_t, size_t begin, size_t end) {
    float* block = row_buffer(kUpdateBlock * dim);
    for (size_t u = begin; u < end; ++u) {
      const size_t row = s.keys[s.run_start[u]];
      if (u + kRowPrefetch < end) {
        const size_t ahead = s.keys[s.run_start[u + kRowPrefetch]];
        prefetch_row(table + ahead * dim, dim);
        if (!state_a_.empty()) prefetch_row(state_a_.data() + ahead * dim, dim);
        if (!state_b_.empty()) prefetch_row(state_b_.data() + ahead * dim, dim);
      }
      // Gradients come a block of rows at a time (one kernel call), then each row is updated.
      const size_t slot = (u - begin) % kUpdateBlock;
      float* g = block + slot * dim;
      if (batch.mode == PoolMode::Max) {
        row_gradient(p, u, g, k);
      } else if (slot == 0) {
        pooled_row_gradients(p, u, std::min(kUpdateBlock, end - u), block, k);
      }
      float* w = table + row * dim;
      switch (c.kind) {
        case SparseOptimizer::Sgd: k.sgd_row_f32(w, g, dim, c); break;
        case SparseOptimizer::Adagrad: k.adagrad_row_f32(w, g, state_a_.data() + row * dim, dim, c); break;
        case SparseOptimizer::Adam: {
          const uint32_t t = ++steps_.data()[row];
          const AdamCorrection corr = adam_correction(t, c.lr, c.beta1, c.beta2);
          k.adam_row_f32(w, g, state_a_.data() + row * dim, state_b_.data() + row * dim, dim, corr, c);
          break;
        }
      }
    }
  });
  return result;
}

bool EmbeddingTable::has_optimizer_state() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return has_state_;
}

SparseOptimizer EmbeddingTable::optimizer_kind() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return state_kind_;
}

void EmbeddingTable::reset_optimizer() {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_live();
  if (device_) device_->set_state(-1, nullptr, nullptr, nullptr);
  has_state_ = false;
  state_a_.reset();
  state_b_.reset();
  steps_.reset();
}

EmbeddingOptimizerState EmbeddingTable::export_optimizer_state() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  require_live();
  EmbeddingOptimizerState st;
  st.present = has_state_;
  st.kind = state_kind_;
  if (has_state_ && device_) {  // straight from the device into the vectors
    const bool adam = state_kind_ == SparseOptimizer::Adam;
    try {
      st.a.resize(rows_ * dim_);
      st.b.resize(adam ? rows_ * dim_ : 0);
      st.steps.resize(adam ? rows_ : 0);
    } catch (const std::bad_alloc&) {
      fail(ErrorCode::OutOfMemory, "cannot allocate the host copy of the table's optimizer state");
    }
    device_->read(nullptr, st.a.data(), adam ? st.b.data() : nullptr, adam ? st.steps.data() : nullptr);
  } else if (has_state_) {
    st.a.assign(state_a_.data(), state_a_.data() + state_a_.size());
    st.b.assign(state_b_.data(), state_b_.data() + state_b_.size());
    st.steps.assign(steps_.data(), steps_.data() + steps_.size());
  }
  return st;
}

void EmbeddingTable::import_optimizer_state(EmbeddingOptimizerState st) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  require_writable("load optimizer state");
  if (!st.present) {
    if (device_) device_->set_state(-1, nullptr, nullptr, nullptr);
    has_state_ = false;
    return;
  }
  const size_t n = rows_ * dim_;
  const bool adam = st.kind == SparseOptimizer::Adam;
  require(st.kind != SparseOptimizer::Sgd && st.a.size() == n && st.b.size() == (adam ? n : 0) &&
              st.steps.size() == (adam ? rows_ : 0),
          ErrorCode::CorruptFile, "optimizer state does not match the table's shape");
  // A failed upload leaves the table as it was (on `auto`, out of device memory moves it to the CPU first).
  if (run_on_device_locked([&](EmbeddingDeviceTable& d) {
        d.set_state(static_cast<int>(st.kind), st.a.data(), adam ? st.b.data() : nullptr, adam ? st.steps.data() : nullptr);
      })) {
    state_kind_ = st.kind;
    has_state_ = true;
    return;
  }
  state_a_ = HugeArray<float>::copy_of(st.a.data(), st.a.size());
  state_b_ = HugeArray<float>::copy_of(st.b.data(), st.b.size());
  steps_ = HugeArray<uint32_t>::copy_of(st.steps.data(), st.steps.size());
  state_kind_ = st.kind;
  has_state_ = true;
}

}  // namespace reckit
