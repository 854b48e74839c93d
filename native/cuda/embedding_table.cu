// The device-resident EmbeddingTable (cuda_abi.h, "tables and models"): the rows and the optimizer state live
// in device memory for the table's lifetime; each batch (ids, offsets, weights, gradients) goes up through the
// table's pinned staging buffer, and only results come back. The kernels are the stateless ones'
// (embedding.cu, embedding_backward.cu). A batch's device buffers are the table's scratch buffers, grown on
// demand and kept (cudaMalloc and cudaFree synchronize the device: a small batch would pay more for them than for
// its kernels). A step gets everything it needs before it changes anything, so an out-of-memory leaves the table
// as it was.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "cuda/cuda_common.h"
#include "cuda/device_scratch.h"
#include "cuda/embedding_segments.h"
#include "cuda/pinned_staging.h"

namespace {

using reckit::cuda::check;
using reckit::cuda::DeviceBuffer;
using reckit::cuda::invalid;
using reckit::cuda::PinnedStaging;
using reckit::cuda::Scratch;

template <class T>
std::unique_ptr<DeviceBuffer<T>> device_copy(PinnedStaging& staging, const T* host, size_t n, const char* what) {
  auto buffer = std::make_unique<DeviceBuffer<T>>(n, what);
  if (n) {
    if (host) staging.upload(buffer->get(), host, n * sizeof(T));
    else check(cudaMemset(buffer->get(), 0, n * sizeof(T)), "cudaMemset");
  }
  return buffer;
}

// A state kind's buffers (a: Adagrad sums / Adam m; b: Adam v; steps: Adam step counts).
struct OptimizerState {
  int kind = -1;  // -1 none, 1 Adagrad, 2 Adam
  std::unique_ptr<DeviceBuffer<float>> a, b;
  std::unique_ptr<DeviceBuffer<unsigned>> steps;
};

OptimizerState make_state(PinnedStaging& staging, int kind, size_t rows, size_t dim, const float* a, const float* b,
                          const uint32_t* steps) {
  OptimizerState s;
  if (kind != 1 && kind != 2) return s;
  s.kind = kind;
  s.a = device_copy(staging, a, rows * dim, "cudaMalloc(optimizer state)");
  if (kind == 2) {
    s.b = device_copy(staging, b, rows * dim, "cudaMalloc(optimizer state)");
    s.steps = device_copy(staging, steps, rows, "cudaMalloc(step counts)");
  }
  return s;
}

// The device buffers of one batch, kept by the table for the next (every member is grown on demand).
struct BatchScratch {
  Scratch<uint32_t> ids, offsets, argmax, segment_start, segment_row, touched;
  Scratch<float> weights, grad_out, out, grads, weight_grads;
  Scratch<unsigned long long> keys;
  size_t bytes() const {
    return ids.bytes() + offsets.bytes() + argmax.bytes() + segment_start.bytes() + segment_row.bytes() +
           touched.bytes() + weights.bytes() + grad_out.bytes() + out.bytes() + grads.bytes() + weight_grads.bytes() +
           keys.bytes();
  }
};

// `host` copied into `buffer` through the staging buffer (null when the batch has no such array).
template <class T>
const T* upload_into(Scratch<T>& buffer, PinnedStaging& staging, const T* host, size_t n, const char* what) {
  if (!host || n == 0) return nullptr;  // n == 0 only in batches that launch nothing
  T* device = buffer.get(n, what);
  staging.upload(device, host, n * sizeof(T));
  return device;
}

// A host batch on the device, in the table's scratch buffers.
reckit::cuda::DeviceBatch upload_batch(BatchScratch& scratch, PinnedStaging& staging, size_t dim, const uint32_t* ids,
                                       size_t n, const uint32_t* offsets, size_t bags, const float* weights, int mode,
                                       const float* grad_out) {
  reckit::cuda::DeviceBatch batch;
  batch.ids = upload_into(scratch.ids, staging, ids, n, "cudaMalloc(ids)");
  batch.n = n;
  batch.offsets = upload_into(scratch.offsets, staging, offsets, bags, "cudaMalloc(offsets)");
  batch.bags = bags;
  batch.weights = upload_into(scratch.weights, staging, weights, n, "cudaMalloc(weights)");
  batch.mode = mode;
  batch.grad_out = upload_into(scratch.grad_out, staging, grad_out, bags * dim, "cudaMalloc(grad_out)");
  return batch;
}

}  // namespace

struct reckit_cuda_table {
  size_t rows = 0, dim = 0;
  std::unique_ptr<DeviceBuffer<float>> weights;
  OptimizerState state;
  PinnedStaging staging;
  BatchScratch scratch;
  std::mutex mutex;  // one call at a time per table: the staging buffer and the scratch buffers are shared
};

RECKIT_CUDA_EXPORT int reckit_cuda_table_create(const float* weights, size_t rows, size_t dim,
                                                reckit_cuda_table** out, char* message, size_t message_size) {
  *out = nullptr;
  return reckit::cuda::guard(message, message_size, [&] {
    if (rows == 0 || dim == 0) invalid("a table needs rows >= 1 and dim >= 1");
    if (!weights) invalid("weights must not be null");
    auto table = std::make_unique<reckit_cuda_table>();
    table->rows = rows;
    table->dim = dim;
    table->weights = device_copy(table->staging, weights, rows * dim, "cudaMalloc(table)");
    *out = table.release();
  });
}

RECKIT_CUDA_EXPORT void reckit_cuda_table_destroy(reckit_cuda_table* table) { delete table; }

RECKIT_CUDA_EXPORT size_t reckit_cuda_table_bytes(reckit_cuda_table* t) {
  if (!t) return 0;
  std::lock_guard<std::mutex> lock(t->mutex);
  const OptimizerState& s = t->state;
  return t->weights->size() * sizeof(float) + (s.a ? s.a->size() * sizeof(float) : 0) +
         (s.b ? s.b->size() * sizeof(float) : 0) + (s.steps ? s.steps->size() * sizeof(unsigned) : 0) +
         t->scratch.bytes();
}

RECKIT_CUDA_EXPORT int reckit_cuda_table_write(reckit_cuda_table* t, size_t first_row, size_t count,
                                               const float* weights, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    if (first_row > t->rows || count > t->rows - first_row) invalid("rows to write are outside the table");
    t->staging.upload(t->weights->get() + first_row * t->dim, weights, count * t->dim * sizeof(float));
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_table_set_state(reckit_cuda_table* t, int optimizer, const float* a,
                                                   const float* b, const uint32_t* steps, char* message,
                                                   size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    if (optimizer < -1 || optimizer > 2) invalid("optimizer must be -1 (none), 0, 1 or 2");
    t->state = make_state(t->staging, optimizer, t->rows, t->dim, a, b, steps);  // built whole, then swapped in
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_table_read(reckit_cuda_table* t, float* weights, float* a, float* b,
                                              uint32_t* steps, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    if ((a && t->state.kind < 1) || ((b || steps) && t->state.kind != 2))
      invalid("the table holds no such optimizer state");
    const size_t n = t->rows * t->dim;
    if (weights) t->staging.download(weights, t->weights->get(), n * sizeof(float));
    if (a) t->staging.download(a, t->state.a->get(), n * sizeof(float));
    if (b) t->staging.download(b, t->state.b->get(), n * sizeof(float));
    if (steps) t->staging.download(steps, t->state.steps->get(), t->rows * sizeof(uint32_t));
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_table_read_rows(reckit_cuda_table* t, size_t first_row, size_t count,
                                                   float* weights, char* message, size_t message_size) {
  return reckit::cuda::guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    if (first_row > t->rows || count > t->rows - first_row) invalid("rows to read are outside the table");
    t->staging.download(weights, t->weights->get() + first_row * t->dim, count * t->dim * sizeof(float));
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_table_bag(reckit_cuda_table* t, const uint32_t* ids, size_t n,
                                             const uint32_t* offsets, size_t bags, const float* weights, int mode,
                                             float* out, char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    validate_batch(t->rows, t->dim, ids, n, offsets, bags, mode, true);
    if (bags == 0) return;
    const DeviceBatch batch = upload_batch(t->scratch, t->staging, t->dim, ids, n, offsets, bags, weights, mode, nullptr);
    float* d_out = t->scratch.out.get(bags * t->dim, "cudaMalloc(out)");
    launch_embedding_bag(t->weights->get(), t->dim, batch, d_out);
    t->staging.download(out, d_out, bags * t->dim * sizeof(float));
  });
}

namespace {

// A resident batch's gradients, before anything changes: per touched row, summed in position order
// (deterministic segment sums; max bags send each element to its first maximal position), and d out / d weights
// when asked for. The backward downloads them; the step applies them. Everything lives in the table's scratch.
struct BatchGradients {
  BatchGradients(const float* table, size_t dim, BatchScratch& scratch, reckit::cuda::DeviceBatch& batch,
                 bool want_weight_grads) {
    using namespace reckit::cuda;
    const size_t n = batch.n;
    unsigned* argmax = batch.mode == 2 ? scratch.argmax.get(batch.bags * dim, "cudaMalloc(argmax)") : nullptr;
    segments = {scratch.keys.get(sort_keys(n), "cudaMalloc(keys)"), scratch.segment_start.get(n, "cudaMalloc(segments)"),
                scratch.segment_row.get(n, "cudaMalloc(segment rows)"), scratch.touched.get(1, "cudaMalloc(count)"),
                scratch.grads.get(n * dim, "cudaMalloc(grads)")};
    weight_grads = want_weight_grads ? scratch.weight_grads.get(n, "cudaMalloc(weight grads)") : nullptr;
    if (argmax) {  // every buffer is there before the first kernel: a step's out-of-memory changes nothing
      bag_argmax(table, dim, batch, argmax);
      batch.argmax = argmax;
    }
    if (weight_grads) weight_gradients(table, dim, batch, weight_grads);
    count = segment_gradients(dim, batch, segments);
  }
  reckit::cuda::SegmentBuffers segments;
  float* weight_grads = nullptr;
  unsigned count = 0;
};

}  // namespace

RECKIT_CUDA_EXPORT int reckit_cuda_table_backward(reckit_cuda_table* t, const uint32_t* ids, size_t n,
                                                  const uint32_t* offsets, size_t bags, const float* weights,
                                                  int mode, const float* grad_out, uint32_t* rows_out,
                                                  float* grads_out, float* weight_grads_out, size_t* touched_out,
                                                  char* message, size_t message_size) {
  using namespace reckit::cuda;
  *touched_out = 0;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    const size_t dim = t->dim;
    validate_batch(t->rows, dim, ids, n, offsets, bags, mode, true);
    if (n == 0) return;
    DeviceBatch batch = upload_batch(t->scratch, t->staging, dim, ids, n, offsets, bags, weights, mode, grad_out);
    BatchGradients g(t->weights->get(), dim, t->scratch, batch, weights && weight_grads_out);
    t->staging.download(rows_out, g.segments.segment_row, g.count * sizeof(uint32_t));
    t->staging.download(grads_out, g.segments.grads, static_cast<size_t>(g.count) * dim * sizeof(float));
    if (g.weight_grads) t->staging.download(weight_grads_out, g.weight_grads, n * sizeof(float));
    *touched_out = g.count;
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_table_step(reckit_cuda_table* t, int optimizer, float lr, float weight_decay,
                                              float eps, float beta1, float beta2, const uint32_t* ids, size_t n,
                                              const uint32_t* offsets, size_t bags, const float* weights, int mode,
                                              const float* grad_out, float* weight_grads_out, size_t* touched_out,
                                              char* message, size_t message_size) {
  using namespace reckit::cuda;
  *touched_out = 0;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    const size_t dim = t->dim;
    validate_batch(t->rows, dim, ids, n, offsets, bags, mode, true);
    if (optimizer < 0 || optimizer > 2) invalid("optimizer must be 0 (SGD), 1 (Adagrad) or 2 (Adam)");
    if (optimizer >= 1 && t->state.kind != -1 && t->state.kind != optimizer)
      invalid("the table holds another optimizer's state; reset it first");
    // Everything is allocated before anything changes: new state is committed only at the end.
    OptimizerState fresh;
    if (optimizer >= 1 && t->state.kind == -1) fresh = make_state(t->staging, optimizer, t->rows, dim, nullptr, nullptr, nullptr);
    OptimizerState& state = fresh.kind != -1 ? fresh : t->state;
    if (n > 0) {
      DeviceBatch batch = upload_batch(t->scratch, t->staging, dim, ids, n, offsets, bags, weights, mode, grad_out);
      BatchGradients g(t->weights->get(), dim, t->scratch, batch, weights && weight_grads_out);
      if (g.weight_grads) t->staging.download(weight_grads_out, g.weight_grads, n * sizeof(float));
      const unsigned count = g.count;
      sparse_update(g.segments, count, dim, t->weights->get(), state.a ? state.a->get() : nullptr,
                    state.b ? state.b->get() : nullptr, state.steps ? state.steps->get() : nullptr, optimizer, lr,
                    weight_decay, eps, beta1, beta2);
      check(cudaDeviceSynchronize(), "sparse step");
      *touched_out = count;
    }
    if (fresh.kind != -1) t->state = std::move(fresh);
  });
}
