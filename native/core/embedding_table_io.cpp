// EmbeddingTable <-> safetensors (see embedding_table_io.h for the layout). The writer holds the
// table's read lock while it streams the rows, so a concurrent step() cannot tear a saved file.
#include "core/embedding_table_io.h"

#include <cmath>
#include <cstring>
#include <mutex>

#include "core/error.h"
#include "core/safetensors.h"

namespace reckit {
namespace {

constexpr const char* kKind = "EmbeddingTable";
constexpr const char* kOptimizerKey = "reckit.embedding.optimizer";

const char* optimizer_name(SparseOptimizer kind) {
  return kind == SparseOptimizer::Adam ? "adam" : kind == SparseOptimizer::Adagrad ? "adagrad" : "sgd";
}

void check_finite(const float* values, size_t n, const std::string& what) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) fail(ErrorCode::CorruptFile, what + " holds a non-finite value at " + std::to_string(i));
  }
}

// Copies a tensor known to be F32/U32 [shape] into a vector (tensor data may be unaligned in a buffer).
template <typename T>
std::vector<T> copy_tensor(const st::File& file, const std::string& name, st::DType dtype,
                           const std::vector<uint64_t>& shape) {
  const st::Tensor& t = file.tensor(name, dtype, shape);
  std::vector<T> out(t.elements());
  if (!out.empty()) std::memcpy(out.data(), t.data, out.size() * sizeof(T));
  return out;
}

std::shared_ptr<EmbeddingTable> from_file(const std::shared_ptr<st::File>& file, bool mmap, bool with_optimizer,
                                          const std::string& origin) {
  file->require_checksum();
  auto kind_it = file->metadata().find(st::kKindKey);
  require(kind_it != file->metadata().end() && kind_it->second == kKind, ErrorCode::CorruptFile,
          origin + " is not an EmbeddingTable file (reckit.kind is '" +
              (kind_it == file->metadata().end() ? std::string("missing") : kind_it->second) + "')");
  const st::Tensor& weight = file->tensor("weight", st::DType::F32);
  require(weight.shape.size() == 2 && weight.shape[0] >= 1 && weight.shape[1] >= 1 &&
              weight.shape[0] <= (uint64_t{1} << 32) && weight.shape[1] <= EmbeddingTable::kMaxDim,
          ErrorCode::CorruptFile, origin + ": tensor 'weight' must have shape [rows, dim] within reckit's limits");
  const size_t rows = static_cast<size_t>(weight.shape[0]), dim = static_cast<size_t>(weight.shape[1]);
  std::shared_ptr<EmbeddingTable> table;
  if (mmap) {
    require(!with_optimizer, ErrorCode::InvalidArg,
            "optimizer state cannot be loaded into a memory-mapped (read-only) table");
    require(reinterpret_cast<uintptr_t>(weight.data) % alignof(float) == 0, ErrorCode::CorruptFile,
            origin + ": tensor 'weight' is not 4-byte aligned and cannot be mapped");
    const float* rows_data = reinterpret_cast<const float*>(weight.data);
    check_finite(rows_data, rows * dim, origin + ": tensor 'weight'");
    table = std::make_shared<EmbeddingTable>(rows, dim, rows_data, std::shared_ptr<const void>(file, file.get()), origin);
  } else {
    table = std::make_shared<EmbeddingTable>(rows, dim);
    std::vector<float> values(rows * dim);
    std::memcpy(values.data(), weight.data, values.size() * sizeof(float));
    check_finite(values.data(), values.size(), origin + ": tensor 'weight'");
    table->assign(values.data(), values.size());
  }
  if (with_optimizer) {
    auto opt_it = file->metadata().find(kOptimizerKey);
    const std::string opt = opt_it == file->metadata().end() ? "none" : opt_it->second;
    EmbeddingOptimizerState state;
    const std::vector<uint64_t> shape{rows, dim};
    if (opt == "adagrad") {
      state.present = true;
      state.kind = SparseOptimizer::Adagrad;
      state.a = copy_tensor<float>(*file, "adagrad.sum", st::DType::F32, shape);
    } else if (opt == "adam") {
      state.present = true;
      state.kind = SparseOptimizer::Adam;
      state.a = copy_tensor<float>(*file, "adam.m", st::DType::F32, shape);
      state.b = copy_tensor<float>(*file, "adam.v", st::DType::F32, shape);
      state.steps = copy_tensor<uint32_t>(*file, "adam.step", st::DType::U32, {rows});
    } else {
      require(opt == "none", ErrorCode::CorruptFile, origin + ": unknown optimizer '" + opt + "' in metadata");
    }
    check_finite(state.a.data(), state.a.size(), origin + ": optimizer state");
    check_finite(state.b.data(), state.b.size(), origin + ": optimizer state");
    table->import_optimizer_state(std::move(state));
  }
  return table;
}

// Builds the writer's entries over the live storage; the caller holds `view` (the read lock) meanwhile.
st::Writer make_writer(const EmbeddingReadView& view, bool with_optimizer, const EmbeddingTableStateView& state) {
  st::Writer w;
  w.set_metadata(st::kKindKey, kKind);
  w.add("weight", st::DType::F32, {view.rows, view.dim}, view.data);
  std::string opt = "none";
  if (with_optimizer && state.present) {
    opt = optimizer_name(state.kind);
    if (state.kind == SparseOptimizer::Adagrad) {
      w.add("adagrad.sum", st::DType::F32, {view.rows, view.dim}, state.a);
    } else if (state.kind == SparseOptimizer::Adam) {
      w.add("adam.m", st::DType::F32, {view.rows, view.dim}, state.a);
      w.add("adam.v", st::DType::F32, {view.rows, view.dim}, state.b);
      w.add("adam.step", st::DType::U32, {view.rows}, state.steps);
    }
  }
  w.set_metadata(kOptimizerKey, opt);
  return w;
}

}  // namespace

void EmbeddingTableIo::save(const EmbeddingTable& table, const std::string& path, bool with_optimizer) {
  const EmbeddingReadView view = table.read_view(with_optimizer);
  make_writer(view, with_optimizer, view.state).save(path);
}

std::vector<uint8_t> EmbeddingTableIo::to_buffer(const EmbeddingTable& table, bool with_optimizer) {
  const EmbeddingReadView view = table.read_view(with_optimizer);
  return make_writer(view, with_optimizer, view.state).to_buffer();
}

std::shared_ptr<EmbeddingTable> EmbeddingTableIo::load(const std::string& path, bool mmap, bool with_optimizer) {
  return from_file(st::File::open(path, mmap, true), mmap, with_optimizer, "'" + path + "'");
}

std::shared_ptr<EmbeddingTable> EmbeddingTableIo::from_buffer(const void* data, size_t size, bool with_optimizer) {
  return from_file(st::File::from_buffer(data, size, true), false, with_optimizer, "the buffer");
}

}  // namespace reckit
