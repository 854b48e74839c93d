// CosineIndex: exact top-k retrieval over caller-id'd vectors (cosine or inner product), stored as f32 or
// reduced (bf16 / f16 / int8 with a per-row scale), optionally with f32 copies for an exact rerank.
// Ids map to dense rows (remove swaps the last row into the hole), so a scan reads one contiguous
// matrix. Searches hold a shared lock, add/upsert/remove/dispose an exclusive one: a search never sees a
// half-written row. Every mutation validates all input first, so a failed call leaves the index as it was.
//
// Exactness of `rerank` (reduced storage, f32 copies kept aside). Let s(x) be the f32 score the f32 index
// computes for row x (the single-query kernel, a fixed order per row), and s~(x) the score the reduced
// scan computes from the stored approximation x~. For a query q and every row, |s~(x) - s(x)| <= M with
//   M = D(q) + g * |q|_2 * (2 * maxnorm + d_max),   g = (dp + 4) u / (1 - (dp + 4) u),  u = 2^-24,
// where the first term bounds the representation error |q.(x - x~)| and the second both float dot
// products' rounding (any summation order: |fl(sum) - sum| <= g * sum |q_i x_i|, and sum |q_i x~_i| <=
// |q|_2 (|x|_2 + |x - x~|_2)). Per storage (RNE rounding, u_t its unit roundoff):
//   bf16: |x_i - x~_i| <= 2^-8 |x_i|            -> D = 2^-8 |q|_2 maxnorm,  d_max = 2^-8 maxnorm
//   f16:  |x_i - x~_i| <= 2^-11 |x_i| + 2^-25   -> d_max = 2^-11 maxnorm + 2^-25 sqrt(dim), D = |q|_2 d_max
//   i8:   |x_i - x~_i| <= scale/2               -> D = |q|_1 maxscale / 2,  d_max = sqrt(dim) maxscale / 2
// (maxnorm and maxscale are maxima over rows ever inserted: upper bounds that stay valid after removals).
// The scan keeps, besides the reduced top-k, every eligible row with s~ >= theta - 2M, where theta is the
// k-th best s~ at the end of the scan (it only rises, so rows pruned earlier against a lower theta are
// not needed). Claim: this candidate set holds the f32 top-k. The k rows of the reduced top-k have
// s >= s~ - M >= theta - M, so the f32 k-th best T >= theta - M; a row in the f32 top-k has s >= T, so
// s~ >= s - M >= theta - 2M: it is a candidate. Recomputing the candidates' f32 scores with the f32
// kernel and sorting by (score desc, id asc) therefore returns exactly the f32 index's single-query
// result. (The batch path of the f32 index sums in another order, so its scores may differ from the
// single-query ones in the last bits; ties of exactly equal vectors are unaffected.)
#pragma once
#include <cstddef>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cpu/dispatch.h"

namespace reckit {

enum class Metric { Cosine, Ip };
enum class Storage { F32, BF16, F16, I8 };
// Where searches run. Cuda keeps a copy of the scanned rows on the device (cosine_index_device.cpp).
enum class Device { Cpu, Cuda };
struct CudaIndexMirror;

const char* metric_name(Metric m);
const char* storage_name(Storage s);

struct IndexConfig {
  size_t dim = 0;
  Metric metric = Metric::Cosine;
  Storage storage = Storage::F32;
  bool rerank = false;  // meaningful for reduced storage only
};

// A block of rows, 64-byte aligned, growing by doubling; element size fixed at construction.
class RowBuffer {
 public:
  RowBuffer() = default;
  RowBuffer(size_t row_bytes) : row_bytes_(row_bytes) {}
  RowBuffer(RowBuffer&& o) noexcept { *this = std::move(o); }
  RowBuffer& operator=(RowBuffer&& o) noexcept;
  ~RowBuffer();
  // Makes room for `rows` rows (keeps the first `keep` rows); throws std::bad_alloc, leaving *this as is.
  // A borrowed buffer (a memory-mapped file) is copied into owned memory first, whatever its capacity.
  void reserve(size_t rows, size_t keep);
  // Points at `rows` rows of read-only memory kept alive by `owner` (e.g. a mapped file).
  void borrow(const uint8_t* data, size_t rows, std::shared_ptr<const void> owner);
  bool borrowed() const { return owner_ != nullptr; }
  uint8_t* row(size_t i) { return data_ + i * row_bytes_; }
  const uint8_t* row(size_t i) const { return data_ + i * row_bytes_; }
  const uint8_t* data() const { return data_; }
  size_t capacity() const { return capacity_; }
  size_t row_bytes() const { return row_bytes_; }
  void release();

 private:
  uint8_t* data_ = nullptr;
  size_t capacity_ = 0;
  size_t row_bytes_ = 0;
  std::shared_ptr<const void> owner_;  // set while data_ is borrowed (never written then)
};

struct SearchRequest {
  const float* queries = nullptr;  // n x dim
  size_t n = 0;
  size_t k = 0;
  // Per-query excluded ids, CSR: the ids of query i are exclude_ids[exclude_offsets[i] .. [i + 1]).
  const uint64_t* exclude_ids = nullptr;
  const uint64_t* exclude_offsets = nullptr;  // n + 1 entries, or null for none
  // Allow- or deny-list applied to every query (null: none).
  const uint64_t* filter_ids = nullptr;
  size_t filter_count = 0;
  bool filter_allow = false;
  bool has_filter = false;
};

struct MemoryUsage {
  size_t vectors = 0;  // the scanned matrix (+ per-row scales)
  size_t rerank = 0;   // f32 copies kept for the rerank
  size_t ids = 0;      // id arrays and the id -> row map (estimated)
  size_t total() const { return vectors + rerank + ids; }
};

class CosineIndex {
 public:
  CosineIndex(const IndexConfig& config, const cpu::Kernels& kernels);

  const IndexConfig& config() const { return config_; }
  size_t dim() const { return config_.dim; }
  size_t size() const;
  bool disposed() const;

  // vectors: n x dim floats. add: every id must be new; upsert: existing ids are replaced.
  void add(const uint64_t* ids, size_t n, const float* vectors);
  void upsert(const uint64_t* ids, size_t n, const float* vectors);
  // Every id must be present.
  void remove(const uint64_t* ids, size_t n);
  bool has(uint64_t id) const;
  // Writes the stored vector (normalized for cosine; decoded for reduced storage without rerank copies).
  bool get(uint64_t id, float* out) const;
  MemoryUsage memory_usage() const;
  void dispose();

  // ids_out / scores_out: n x k, best first; missing slots get id -1 and score -inf.
  void search(const SearchRequest& request, int64_t* ids_out, float* scores_out) const;

  // Persistence (cosine_index_io.cpp).
  void save(const std::string& path) const;
  std::vector<uint8_t> to_buffer() const;
  static std::unique_ptr<CosineIndex> load(const std::string& path, bool mmap, const cpu::Kernels& kernels);
  static std::unique_ptr<CosineIndex> from_buffer(const void* data, size_t size, const cpu::Kernels& kernels);

  // Row padding of the scanned matrix (elements per row).
  size_t padded_dim() const { return dp_; }

  // Device (cosine_index_device.cpp). Cuda needs a usable CUDA library (else ERR_RECKIT_NO_DEVICE); the rows
  // are uploaded on the next search, and again on the first search after any add/upsert/remove. A device
  // failure during a search (out of memory included) moves the index back to the CPU and throws.
  void set_device(Device device);
  Device device() const { return on_cuda_ ? Device::Cuda : Device::Cpu; }
  // Bytes of the device copy (0 when none is held).
  size_t device_bytes() const;

 private:
  friend struct IndexSearch;
  friend struct IndexIo;
  void check_alive() const;
  void validate_vectors(const float* vectors, size_t n) const;
  void insert_locked(const uint64_t* ids, size_t n, const float* vectors, bool allow_existing);
  struct RowStats {
    double norm = 0, scale = 0;
  };
  RowStats write_row(size_t row, const float* vector, float* scratch);
  void own_buffers();  // before any write: copies borrowed (mapped) rows into owned memory
  double search_margin(const float* q) const;
  // The device copy of the current rows, uploaded when missing or stale. Call with the shared lock held.
  std::shared_ptr<CudaIndexMirror> device_mirror() const;
  void drop_device() const;  // back to the CPU after a device failure

  IndexConfig config_;
  cpu::Kernels kernels_;
  size_t dp_;
  mutable std::shared_mutex mutex_;
  bool disposed_ = false;
  size_t rows_ = 0;
  RowBuffer store_;               // scanned rows, in the storage dtype
  RowBuffer exact_;               // f32 rows for the rerank (reduced storage + rerank only)
  std::vector<float> scales_;     // i8: per-row dequantization scale
  std::vector<uint64_t> row_ids_;  // row -> id
  std::unordered_map<uint64_t, uint32_t> id_rows_;
  double max_norm_ = 0.0;   // of stored (normalized) vectors ever inserted
  double max_scale_ = 0.0;  // i8 only
  // Device state. generation_ counts changes of the rows (under the exclusive lock); the mirror records the
  // generation it copied, so a stale copy is replaced lazily by the next search rather than kept in sync by
  // every mutation (simpler, and one upload after a burst of updates instead of one per update).
  uint64_t generation_ = 0;
  mutable std::atomic<bool> on_cuda_{false};
  mutable std::mutex device_mutex_;  // guards mirror_ (searches hold only the shared lock)
  mutable std::shared_ptr<CudaIndexMirror> mirror_;
};

}  // namespace reckit
