// The device-resident EmbeddingTable (cuda_abi.h, "tables and models"): the rows and the optimizer state live
// in device memory for the table's lifetime; each batch (ids, offsets, weights, gradients) goes up through the
// table's pinned staging buffer, and only results come back. The kernels are the stateless ones'
// (embedding.cu, embedding_backward.cu). A step allocates everything it needs before it changes anything, so
// an out-of-memory leaves the table as it was.
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "cuda/cuda_common.h"
#include "cuda/embedding_segments.h"
#include "cuda/pinned_staging.h"

namespace {

using reckit::cuda::check;
using reckit::cuda::DeviceBuffer;
using reckit::cuda::invalid;
using reckit::cuda::PinnedStaging;

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

// A host batch on the device (the uploads go through the table's staging buffer).
struct ResidentBatch {
  std::unique_ptr<DeviceBuffer<uint32_t>> ids, offsets;
  std::unique_ptr<DeviceBuffer<float>> weights, grad_out;
  reckit::cuda::DeviceBatch batch;
  ResidentBatch(PinnedStaging& staging, size_t dim, const uint32_t* h_ids, size_t n, const uint32_t* h_offsets,
                size_t bags, const float* h_weights, int mode, const float* h_grad_out) {
    ids = device_copy(staging, h_ids, n, "cudaMalloc(ids)");
    offsets = device_copy(staging, h_offsets, h_offsets ? bags : 0, "cudaMalloc(offsets)");
    weights = device_copy(staging, h_weights, h_weights ? n : 0, "cudaMalloc(weights)");
    grad_out = device_copy(staging, h_grad_out, h_grad_out ? bags * dim : 0, "cudaMalloc(grad_out)");
    batch.ids = ids->get();
    batch.n = n;
    batch.offsets = h_offsets ? offsets->get() : nullptr;
    batch.bags = bags;
    batch.weights = h_weights ? weights->get() : nullptr;
    batch.mode = mode;
    batch.grad_out = h_grad_out ? grad_out->get() : nullptr;
  }
};

}  // namespace

struct reckit_cuda_table {
  size_t rows = 0, dim = 0;
  std::unique_ptr<DeviceBuffer<float>> weights;
  OptimizerState state;
  PinnedStaging staging;
  std::mutex mutex;  // one call at a time per table: the staging buffer is shared
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

RECKIT_CUDA_EXPORT int reckit_cuda_table_bag(reckit_cuda_table* t, const uint32_t* ids, size_t n,
                                             const uint32_t* offsets, size_t bags, const float* weights, int mode,
                                             float* out, char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    std::lock_guard<std::mutex> lock(t->mutex);
    validate_batch(t->rows, t->dim, ids, n, offsets, bags, mode, true);
    if (bags == 0) return;
    ResidentBatch up(t->staging, t->dim, ids, n, offsets, bags, weights, mode, nullptr);
    DeviceBuffer<float> d_out(bags * t->dim, "cudaMalloc(out)");
    launch_embedding_bag(t->weights->get(), t->dim, up.batch, d_out.get());
    t->staging.download(out, d_out.get(), bags * t->dim * sizeof(float));
  });
}

namespace {

// A resident batch's gradients, before anything changes: per touched row, summed in position order
// (deterministic segment sums; max bags send each element to its first maximal position), and d out / d weights
// when asked for. The backward downloads them; the step applies them.
struct BatchGradients {
  BatchGradients(const float* table, size_t dim, ResidentBatch& up, int mode, size_t bags, size_t n,
                 bool want_weight_grads)
      : argmax(mode == 2 ? bags * dim : 0, "cudaMalloc(argmax)"),
        segment_row(n, "cudaMalloc(segment rows)"),
        touched(1, "cudaMalloc(count)"),
        grads(n * dim, "cudaMalloc(grads)"),
        weight_grads(want_weight_grads ? n : 0, "cudaMalloc(weight grads)") {
    if (mode == 2) {
      bag_argmax(table, dim, up.batch, argmax.get());
      up.batch.argmax = argmax.get();
    }
    if (weight_grads.size()) weight_gradients(table, dim, up.batch, weight_grads.get());
    count = segment_gradients(dim, up.batch, segment_row, touched, grads);
  }
  reckit::cuda::DeviceBuffer<unsigned> argmax, segment_row, touched;
  reckit::cuda::DeviceBuffer<float> grads, weight_grads;
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
    ResidentBatch up(t->staging, dim, ids, n, offsets, bags, weights, mode, grad_out);
    BatchGradients g(t->weights->get(), dim, up, mode, bags, n, weights && weight_grads_out);
    t->staging.download(rows_out, g.segment_row.get(), g.count * sizeof(uint32_t));
    t->staging.download(grads_out, g.grads.get(), static_cast<size_t>(g.count) * dim * sizeof(float));
    if (g.weight_grads.size()) t->staging.download(weight_grads_out, g.weight_grads.get(), n * sizeof(float));
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
      ResidentBatch up(t->staging, dim, ids, n, offsets, bags, weights, mode, grad_out);
      BatchGradients g(t->weights->get(), dim, up, mode, bags, n, weights && weight_grads_out);
      if (g.weight_grads.size()) t->staging.download(weight_grads_out, g.weight_grads.get(), n * sizeof(float));
      const unsigned count = g.count;
      sparse_update(g.segment_row, g.touched, count, g.grads, dim, t->weights->get(), state.a ? state.a->get() : nullptr,
                    state.b ? state.b->get() : nullptr, state.steps ? state.steps->get() : nullptr, optimizer, lr,
                    weight_decay, eps, beta1, beta2);
      check(cudaDeviceSynchronize(), "sparse step");
      *touched_out = count;
    }
    if (fresh.kind != -1) t->state = std::move(fresh);
  });
}
