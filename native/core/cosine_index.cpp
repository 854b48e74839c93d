// CosineIndex storage and mutation: the aligned row buffers, ids <-> rows, add/upsert/remove/get and
// memory accounting. Search is in cosine_index_search.cpp, persistence in cosine_index_io.cpp.
#include "core/cosine_index.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>

#include "core/error.h"
#include "core/thread_pool.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace reckit {

const char* metric_name(Metric m) { return m == Metric::Cosine ? "cosine" : "ip"; }

const char* storage_name(Storage s) {
  switch (s) {
    case Storage::F32: return "f32";
    case Storage::BF16: return "bf16";
    case Storage::F16: return "f16";
    case Storage::I8: return "i8";
  }
  return "?";
}

namespace {

constexpr size_t kAlign = 64;
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kHugeThreshold = size_t{8} << 20;
constexpr size_t kMaxRows = 0xffffffffu - 1;  // rows are uint32 in the scan
constexpr uint64_t kMaxId = (uint64_t{1} << 63) - 1;  // results carry ids as int64 with -1 for "none"
constexpr float kF16Max = 65504.0f;

size_t element_size(Storage s) {
  switch (s) {
    case Storage::F32: return 4;
    case Storage::BF16:
    case Storage::F16: return 2;
    case Storage::I8: return 1;
  }
  return 4;
}

}  // namespace

RowBuffer& RowBuffer::operator=(RowBuffer&& o) noexcept {
  if (this != &o) {
    release();
    data_ = o.data_;
    capacity_ = o.capacity_;
    row_bytes_ = o.row_bytes_;
    owner_ = std::move(o.owner_);
    o.data_ = nullptr;
    o.capacity_ = 0;
    o.owner_.reset();
  }
  return *this;
}

RowBuffer::~RowBuffer() { release(); }

void RowBuffer::release() {
  if (!owner_) std::free(data_);
  owner_.reset();
  data_ = nullptr;
  capacity_ = 0;
}

void RowBuffer::borrow(const uint8_t* data, size_t rows, std::shared_ptr<const void> owner) {
  release();
  data_ = const_cast<uint8_t*>(data);  // never written: every writer calls reserve() first
  capacity_ = rows;
  owner_ = std::move(owner);
}

void RowBuffer::reserve(size_t rows, size_t keep) {
  if (rows <= capacity_ && !owner_) return;
  const size_t grown = std::max(rows, capacity_ + capacity_ / 2 + 16);
  // Large matrices go on 2 MiB boundaries and ask for transparent huge pages: a scan streams them, and
  // with 4 KiB pages the hardware prefetcher stops at every page boundary and the TLB misses constantly.
  const bool huge = grown * row_bytes_ >= kHugeThreshold;
  const size_t align = huge ? kHugePage : kAlign;
  const size_t bytes = std::max(align, (grown * row_bytes_ + align - 1) / align * align);
  auto* fresh = static_cast<uint8_t*>(std::aligned_alloc(align, bytes));
  if (!fresh) throw std::bad_alloc();
#if defined(__linux__)
  if (huge) madvise(fresh, bytes, MADV_HUGEPAGE);  // advice only: failure just means small pages
#endif
  if (keep) std::memcpy(fresh, data_, keep * row_bytes_);
  if (!owner_) std::free(data_);
  owner_.reset();
  data_ = fresh;
  capacity_ = grown;
}

CosineIndex::CosineIndex(const IndexConfig& config, const cpu::Kernels& kernels)
    : config_(config), kernels_(kernels) {
  require(config.dim >= 1 && config.dim <= 65536, ErrorCode::OutOfRange, "dim must be between 1 and 65536");
  if (config_.storage == Storage::F32) config_.rerank = false;  // f32 scores are already exact
  dp_ = (config.dim + cpu::kTopkPad - 1) / cpu::kTopkPad * cpu::kTopkPad;
  store_ = RowBuffer(dp_ * element_size(config_.storage));
  if (config_.rerank) exact_ = RowBuffer(dp_ * sizeof(float));
}

void CosineIndex::check_alive() const {
  require(!disposed_, ErrorCode::Disposed, "the CosineIndex was disposed");
}

size_t CosineIndex::size() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return rows_;
}

bool CosineIndex::disposed() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  return disposed_;
}

namespace {

// One row's problems in a single branch-free pass the compiler vectorizes; the slow path that names the
// element runs only for a bad row.
struct RowCheck {
  bool finite, nonzero;
  float maxabs;
};

RowCheck check_row(const float* v, size_t d) {
  bool finite = true, nonzero = false;
  float maxabs = 0;
  for (size_t i = 0; i < d; ++i) {
    finite &= (v[i] - v[i]) == 0.0f;  // false for NaN and +-Inf
    nonzero |= v[i] != 0.0f;
    maxabs = std::max(maxabs, std::fabs(v[i]));
  }
  return {finite, nonzero, maxabs};
}

}  // namespace

void CosineIndex::validate_vectors(const float* vectors, size_t n) const {
  const size_t d = config_.dim;
  // Rows are checked in parallel; the first bad row (lowest index) is reported, whatever the chunking.
  std::vector<size_t> first_bad(ComputePool::instance().threads() + 1, n);
  ComputePool::instance().parallel_for(n, 4096, [&](size_t chunk, size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r) {
      const RowCheck c = check_row(vectors + r * d, d);
      const bool bad = !c.finite || (config_.metric == Metric::Cosine && !c.nonzero) ||
                       (config_.metric == Metric::Ip && config_.storage == Storage::F16 && c.maxabs > kF16Max);
      if (bad) {
        first_bad[chunk] = r;
        return;
      }
    }
  });
  const size_t r = *std::min_element(first_bad.begin(), first_bad.end());
  if (r == n) return;
  const float* v = vectors + r * d;
  for (size_t i = 0; i < d; ++i) {
    if (!std::isfinite(v[i])) {
      fail(ErrorCode::OutOfRange, "vectors[" + std::to_string(r * d + i) + "] is " +
                                      (std::isnan(v[i]) ? "NaN" : "infinite") + "; values must be finite");
    }
  }
  if (config_.metric == Metric::Cosine) {
    fail(ErrorCode::OutOfRange, "vector " + std::to_string(r) + " is the zero vector, which has no cosine similarity");
  }
  for (size_t i = 0; i < d; ++i) {
    require(std::fabs(v[i]) <= kF16Max, ErrorCode::OutOfRange,
            "vectors[" + std::to_string(r * d + i) + "] is outside the f16 range (|x| <= 65504); use bf16 or f32");
  }
}

// Encodes one input vector into row `row` of every buffer (normalizing first for cosine). `v` is dp
// floats of scratch. Returns the row's norm and (i8) scale for the rerank bound.
CosineIndex::RowStats CosineIndex::write_row(size_t row, const float* vector, float* v) {
  const size_t d = config_.dim;
  std::fill(v, v + dp_, 0.0f);
  if (config_.metric == Metric::Cosine) {
    double sumsq = 0;
    for (size_t i = 0; i < d; ++i) sumsq += static_cast<double>(vector[i]) * vector[i];
    const double inv = 1.0 / std::sqrt(sumsq);
    for (size_t i = 0; i < d; ++i) v[i] = static_cast<float>(vector[i] * inv);
  } else {
    std::copy(vector, vector + d, v);
  }
  double norm = 0, maxabs = 0;
  for (size_t i = 0; i < d; ++i) {
    norm += static_cast<double>(v[i]) * v[i];
    maxabs = std::max(maxabs, static_cast<double>(std::fabs(v[i])));
  }
  RowStats stats{std::sqrt(norm), 0.0};
  uint8_t* dst = store_.row(row);
  switch (config_.storage) {
    case Storage::F32: std::memcpy(dst, v, dp_ * sizeof(float)); break;
    case Storage::BF16: {
      auto* h = reinterpret_cast<uint16_t*>(dst);
      for (size_t i = 0; i < dp_; ++i) h[i] = cpu::f32_to_bf16(v[i]);
      break;
    }
    case Storage::F16: {
      auto* h = reinterpret_cast<uint16_t*>(dst);
      for (size_t i = 0; i < dp_; ++i) h[i] = cpu::f32_to_f16(v[i]);
      break;
    }
    case Storage::I8: {
      auto* q = reinterpret_cast<int8_t*>(dst);
      // scale = max|x| / 127 (a float, used as stored); each element rounds to the nearest multiple.
      const float scale = maxabs > 0 ? static_cast<float>(maxabs / 127.0) : 1.0f;
      for (size_t i = 0; i < dp_; ++i) {
        const double t = std::nearbyint(static_cast<double>(v[i]) / scale);
        q[i] = static_cast<int8_t>(std::max(-127.0, std::min(127.0, t)));
      }
      scales_[row] = scale;
      stats.scale = scale;
      break;
    }
  }
  if (config_.rerank) std::memcpy(exact_.row(row), v, dp_ * sizeof(float));
  return stats;
}

// Throws ERR_RECKIT_INVALID_ARG naming an id that appears twice in ids[0..n) (found by sorting a copy).
static void require_unique(const uint64_t* ids, size_t n) {
  std::vector<uint64_t> sorted(ids, ids + n);
  std::sort(sorted.begin(), sorted.end());
  auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end()) fail(ErrorCode::InvalidArg, "id " + std::to_string(*dup) + " appears twice in this call");
}

void CosineIndex::insert_locked(const uint64_t* ids, size_t n, const float* vectors, bool allow_existing) {
  check_alive();
  // 1. Validate everything before touching the index.
  size_t fresh = 0;
  for (size_t i = 0; i < n; ++i) {
    require(ids[i] <= kMaxId, ErrorCode::OutOfRange, "ids[" + std::to_string(i) + "] is above 2^63-1");
    const bool present = id_rows_.count(ids[i]) != 0;
    require(allow_existing || !present, ErrorCode::InvalidArg,
            "id " + std::to_string(ids[i]) + " is already in the index (use upsert to replace it)");
    fresh += !present;
  }
  require_unique(ids, n);
  validate_vectors(vectors, n);
  require(rows_ + fresh <= kMaxRows, ErrorCode::OutOfRange, "an index holds at most 2^32-2 vectors");
  // 2. Allocate (may throw bad_alloc; nothing changed yet).
  const size_t total = rows_ + fresh;
  own_buffers();
  store_.reserve(total, rows_);
  if (config_.rerank) exact_.reserve(total, rows_);
  if (config_.storage == Storage::I8) scales_.reserve(total);
  row_ids_.reserve(total);
  id_rows_.reserve(total);
  std::vector<uint32_t> target(n);
  std::vector<RowStats> chunk_stats(ComputePool::instance().threads() + 1);
  // 3. Commit: ids to rows here, then the rows' encoding in parallel (each chunk writes only its rows).
  if (config_.storage == Storage::I8) scales_.resize(total);
  for (size_t i = 0; i < n; ++i) {
    auto found = id_rows_.find(ids[i]);
    if (found != id_rows_.end()) {
      target[i] = found->second;
    } else {
      target[i] = static_cast<uint32_t>(rows_++);
      row_ids_.push_back(ids[i]);
      id_rows_.emplace(ids[i], target[i]);
    }
  }
  ComputePool::instance().parallel_for(n, 1024, [&](size_t chunk, size_t begin, size_t end) {
    std::vector<float> scratch(dp_);
    RowStats m;
    for (size_t i = begin; i < end; ++i) {
      const RowStats s = write_row(target[i], vectors + i * config_.dim, scratch.data());
      m.norm = std::max(m.norm, s.norm);
      m.scale = std::max(m.scale, s.scale);
    }
    chunk_stats[chunk] = m;
  });
  for (const RowStats& m : chunk_stats) {
    max_norm_ = std::max(max_norm_, m.norm);
    max_scale_ = std::max(max_scale_, m.scale);
  }
}

void CosineIndex::own_buffers() {
  if (store_.borrowed()) store_.reserve(std::max<size_t>(rows_, 1), rows_);
  if (exact_.borrowed()) exact_.reserve(std::max<size_t>(rows_, 1), rows_);
}

void CosineIndex::add(const uint64_t* ids, size_t n, const float* vectors) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  insert_locked(ids, n, vectors, false);
  ++generation_;
}

void CosineIndex::upsert(const uint64_t* ids, size_t n, const float* vectors) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  insert_locked(ids, n, vectors, true);
  ++generation_;
}

void CosineIndex::remove(const uint64_t* ids, size_t n) {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  check_alive();
  for (size_t i = 0; i < n; ++i) {
    require(id_rows_.count(ids[i]) != 0, ErrorCode::OutOfRange,
            "ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) + " is not in the index");
  }
  require_unique(ids, n);
  own_buffers();
  for (size_t i = 0; i < n; ++i) {
    auto found = id_rows_.find(ids[i]);
    const size_t row = found->second, last = rows_ - 1;
    id_rows_.erase(found);
    if (row != last) {
      // Keep the matrix dense: the last row moves into the hole.
      std::memcpy(store_.row(row), store_.row(last), store_.row_bytes());
      if (config_.rerank) std::memcpy(exact_.row(row), exact_.row(last), exact_.row_bytes());
      if (config_.storage == Storage::I8) scales_[row] = scales_[last];
      row_ids_[row] = row_ids_[last];
      id_rows_[row_ids_[row]] = static_cast<uint32_t>(row);
    }
    row_ids_.pop_back();
    if (config_.storage == Storage::I8) scales_.pop_back();
    --rows_;
  }
  ++generation_;
}

bool CosineIndex::has(uint64_t id) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  check_alive();
  return id_rows_.count(id) != 0;
}

bool CosineIndex::get(uint64_t id, float* out) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  check_alive();
  auto found = id_rows_.find(id);
  if (found == id_rows_.end()) return false;
  const size_t row = found->second, d = config_.dim;
  if (config_.rerank) {
    std::memcpy(out, exact_.row(row), d * sizeof(float));
    return true;
  }
  const uint8_t* src = store_.row(row);
  switch (config_.storage) {
    case Storage::F32: std::memcpy(out, src, d * sizeof(float)); break;
    case Storage::BF16:
      for (size_t i = 0; i < d; ++i) out[i] = cpu::bf16_to_f32(reinterpret_cast<const uint16_t*>(src)[i]);
      break;
    case Storage::F16:
      for (size_t i = 0; i < d; ++i) out[i] = cpu::f16_to_f32(reinterpret_cast<const uint16_t*>(src)[i]);
      break;
    case Storage::I8:
      for (size_t i = 0; i < d; ++i) out[i] = scales_[row] * static_cast<float>(reinterpret_cast<const int8_t*>(src)[i]);
      break;
  }
  return true;
}

MemoryUsage CosineIndex::memory_usage() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  MemoryUsage m;
  if (disposed_) return m;
  // Mapped rows are counted too: they are the index's working set, though shared with other processes.
  m.vectors = store_.capacity() * store_.row_bytes() + scales_.capacity() * sizeof(float);
  m.rerank = exact_.capacity() * exact_.row_bytes();
  // Node-based map: a node (key, value, next pointer, cached hash) per id plus a bucket pointer.
  m.ids = row_ids_.capacity() * sizeof(uint64_t) + id_rows_.size() * 32 + id_rows_.bucket_count() * sizeof(void*);
  return m;
}

void CosineIndex::dispose() {
  std::unique_lock<std::shared_mutex> lock(mutex_);
  if (disposed_) return;
  disposed_ = true;
  {
    std::lock_guard<std::mutex> device_lock(device_mutex_);
    mirror_.reset();
  }
  store_.release();
  exact_.release();
  std::vector<float>().swap(scales_);
  std::vector<uint64_t>().swap(row_ids_);
  std::unordered_map<uint64_t, uint32_t>().swap(id_rows_);
  rows_ = 0;
}

}  // namespace reckit
