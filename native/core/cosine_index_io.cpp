// CosineIndex persistence through core/safetensors.h: tensors "ids" (U64 [rows]), "vectors" (the
// storage dtype, [rows, padded dim]), "scales" (F32 [rows], i8 only), "exact" (F32 [rows, padded dim],
// rerank only), and the configuration in __metadata__. Loading checks kind, version, every shape and
// dtype, id uniqueness, finiteness and zero padding, so a corrupt file is an error, never a bad index.
// With mmap the row matrices stay in the mapped file (read-only, shared between processes) until the
// first write, which copies them; a file whose row tensors are not aligned to their element size (not
// written by reckit) is copied at load instead.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <unordered_set>

#include "core/cosine_index.h"
#include "core/error.h"
#include "core/safetensors.h"

namespace reckit {

namespace {

constexpr const char* kKind = "CosineIndex";
constexpr const char* kVersionKey = "reckit.cosine_index.version";
constexpr const char* kVersion = "1";

st::DType storage_dtype(Storage s) {
  switch (s) {
    case Storage::F32: return st::DType::F32;
    case Storage::BF16: return st::DType::BF16;
    case Storage::F16: return st::DType::F16;
    case Storage::I8: return st::DType::I8;
  }
  return st::DType::F32;
}

[[noreturn]] void corrupt(const std::string& what) { fail(ErrorCode::CorruptFile, "CosineIndex file: " + what); }

}  // namespace

struct IndexIo {
  static st::Writer writer(const CosineIndex& ix) {
    st::Writer w;
    const uint64_t rows = ix.rows_, dp = ix.dp_;
    w.set_metadata(st::kKindKey, kKind);
    w.set_metadata(kVersionKey, kVersion);
    w.set_metadata("dim", std::to_string(ix.config_.dim));
    w.set_metadata("metric", metric_name(ix.config_.metric));
    w.set_metadata("storage", storage_name(ix.config_.storage));
    w.set_metadata("rerank", ix.config_.rerank ? "true" : "false");
    w.add("ids", st::DType::U64, {rows}, ix.row_ids_.data());
    w.add("vectors", storage_dtype(ix.config_.storage), {rows, dp}, ix.store_.data());
    if (ix.config_.storage == Storage::I8) w.add("scales", st::DType::F32, {rows}, ix.scales_.data());
    if (ix.config_.rerank) w.add("exact", st::DType::F32, {rows, dp}, ix.exact_.data());
    return w;
  }

  static IndexConfig config_of(const st::File& f) {
    if (f.metadata(st::kKindKey) != kKind) corrupt("kind is '" + f.metadata(st::kKindKey) + "', not CosineIndex");
    if (f.metadata(kVersionKey) != kVersion) corrupt("unsupported version " + f.metadata(kVersionKey));
    IndexConfig c;
    const std::string& dim = f.metadata("dim");
    if (dim.empty() || dim.size() > 6 || dim.find_first_not_of("0123456789") != std::string::npos) corrupt("bad dim");
    c.dim = std::stoul(dim);
    if (c.dim < 1 || c.dim > 65536) corrupt("dim out of range");
    const std::string& metric = f.metadata("metric");
    if (metric == "cosine") c.metric = Metric::Cosine;
    else if (metric == "ip") c.metric = Metric::Ip;
    else corrupt("unknown metric '" + metric + "'");
    const std::string& storage = f.metadata("storage");
    if (storage == "f32") c.storage = Storage::F32;
    else if (storage == "bf16") c.storage = Storage::BF16;
    else if (storage == "f16") c.storage = Storage::F16;
    else if (storage == "i8") c.storage = Storage::I8;
    else corrupt("unknown storage '" + storage + "'");
    const std::string& rerank = f.metadata("rerank");
    if (rerank != "true" && rerank != "false") corrupt("bad rerank flag");
    c.rerank = rerank == "true" && c.storage != Storage::F32;
    return c;
  }

  // Decoded f32 value of element i of a stored row (for validation and norms).
  template <typename T>
  static T load_unaligned(const uint8_t* base, size_t i) {
    T v;
    std::memcpy(&v, base + i * sizeof(T), sizeof(T));
    return v;
  }

  static float element(const CosineIndex& ix, const uint8_t* row, size_t i, float scale) {
    switch (ix.config_.storage) {
      // Tensor offsets in a file need not be aligned: read through memcpy (a crafted file found this by fuzzing).
      case Storage::F32: return load_unaligned<float>(row, i);
      case Storage::BF16: return cpu::bf16_to_f32(load_unaligned<uint16_t>(row, i));
      case Storage::F16: return cpu::f16_to_f32(load_unaligned<uint16_t>(row, i));
      case Storage::I8: return scale * static_cast<float>(reinterpret_cast<const int8_t*>(row)[i]);
    }
    return 0;
  }

  static std::unique_ptr<CosineIndex> build(const std::shared_ptr<st::File>& file, bool borrow,
                                            const cpu::Kernels& kernels) {
    const st::File& f = *file;
    f.require_checksum();
    auto ix = std::make_unique<CosineIndex>(config_of(f), kernels);
    const st::Tensor& ids = f.tensor("ids", st::DType::U64);
    if (ids.shape.size() != 1) corrupt("ids must be one-dimensional");
    const uint64_t rows = ids.shape[0], dp = ix->dp_;
    if (rows > 0xffffffffull - 1) corrupt("too many rows");
    const st::Tensor& vectors = f.tensor("vectors", storage_dtype(ix->config_.storage), {rows, dp});
    const st::Tensor* scales = ix->config_.storage == Storage::I8 ? &f.tensor("scales", st::DType::F32, {rows}) : nullptr;
    const st::Tensor* exact = ix->config_.rerank ? &f.tensor("exact", st::DType::F32, {rows, dp}) : nullptr;

    // ids: unique and representable in results.
    ix->row_ids_.resize(rows);
    if (rows) std::memcpy(ix->row_ids_.data(), ids.data, rows * sizeof(uint64_t));
    ix->id_rows_.reserve(rows);
    for (uint64_t r = 0; r < rows; ++r) {
      const uint64_t id = ix->row_ids_[r];
      if (id > (uint64_t{1} << 63) - 1) corrupt("id above 2^63-1 at row " + std::to_string(r));
      if (!ix->id_rows_.emplace(id, static_cast<uint32_t>(r)).second) corrupt("duplicate id " + std::to_string(id));
    }
    if (scales) {
      ix->scales_.resize(rows);
      if (rows) std::memcpy(ix->scales_.data(), scales->data, rows * sizeof(float));
      for (uint64_t r = 0; r < rows; ++r) {
        if (!(std::isfinite(ix->scales_[r]) && ix->scales_[r] > 0)) corrupt("bad scale at row " + std::to_string(r));
        ix->max_scale_ = std::max(ix->max_scale_, static_cast<double>(ix->scales_[r]));
      }
    }
    // Rows: finite values, zero padding; the norms bound of the rerank argument is recomputed.
    const size_t d = ix->config_.dim, row_bytes = ix->store_.row_bytes();
    for (uint64_t r = 0; r < rows; ++r) {
      const uint8_t* row = vectors.data + r * row_bytes;
      const float scale = scales ? ix->scales_[r] : 1.0f;
      double norm = 0;
      for (size_t i = 0; i < dp; ++i) {
        const float v = element(*ix, row, i, scale);
        if (!std::isfinite(v)) corrupt("non-finite value in row " + std::to_string(r));
        if (i >= d && v != 0.0f) corrupt("non-zero padding in row " + std::to_string(r));
        norm += static_cast<double>(v) * v;
      }
      if (exact) {
        const uint8_t* x = exact->data + r * dp * sizeof(float);
        norm = 0;
        for (size_t i = 0; i < dp; ++i) {
          const float v = load_unaligned<float>(x, i);
          if (!std::isfinite(v)) corrupt("non-finite value in exact row " + std::to_string(r));
          if (i >= d && v != 0.0f) corrupt("non-zero padding in exact row " + std::to_string(r));
          norm += static_cast<double>(v) * v;
        }
      }
      ix->max_norm_ = std::max(ix->max_norm_, std::sqrt(norm));
    }
    // Borrow the mapped rows only where they sit at a multiple of their element size, as reckit's writer
    // lays them out: the portable kernels, get() and the rerank read rows through typed pointers, which
    // must be aligned. A foreign or crafted file may place a tensor anywhere; its rows are then copied into
    // owned (64-byte aligned) memory, as without mmap.
    const size_t element = row_bytes / dp;
    const bool aligned = reinterpret_cast<uintptr_t>(vectors.data) % element == 0 &&
                         (!exact || reinterpret_cast<uintptr_t>(exact->data) % alignof(float) == 0);
    if (borrow && aligned && rows) {
      ix->store_.borrow(vectors.data, rows, file);
      if (exact) ix->exact_.borrow(exact->data, rows, file);
    } else if (rows) {
      ix->store_.reserve(rows, 0);
      std::memcpy(ix->store_.row(0), vectors.data, rows * row_bytes);
      if (exact) {
        ix->exact_.reserve(rows, 0);
        std::memcpy(ix->exact_.row(0), exact->data, rows * dp * sizeof(float));
      }
    }
    ix->rows_ = rows;
    return ix;
  }
};

void CosineIndex::save(const std::string& path) const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  check_alive();
  IndexIo::writer(*this).save(path);
}

std::vector<uint8_t> CosineIndex::to_buffer() const {
  std::shared_lock<std::shared_mutex> lock(mutex_);
  check_alive();
  return IndexIo::writer(*this).to_buffer();
}

std::unique_ptr<CosineIndex> CosineIndex::load(const std::string& path, bool mmap, const cpu::Kernels& kernels) {
  return IndexIo::build(st::File::open(path, mmap), mmap, kernels);
}

std::unique_ptr<CosineIndex> CosineIndex::from_buffer(const void* data, size_t size, const cpu::Kernels& kernels) {
  return IndexIo::build(st::File::from_buffer(data, size), false, kernels);
}

}  // namespace reckit
