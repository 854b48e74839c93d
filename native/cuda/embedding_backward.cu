// The sparse backward of pooled embedding lookups on the GPU (every mode), deterministic: no float atomics. Positions are
// sorted by (row, position) — a bitonic sort of 64-bit keys, so equal rows keep position order — then each
// run of equal rows is one segment, summed in position order by a block per (segment, 128 dims). The result
// is the CPU's contract (core/embedding_table.h): touched rows ascending, each once. The fused sparse
// optimizer step applies core/embedding_optimizers.h's update (the CPU's formulas) to each touched row.
#include <cmath>

#include "core/embedding_optimizers.h"
#include "cuda/cuda_common.h"
#include "cuda/embedding_segments.h"

namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kSumThreads = 128;
constexpr unsigned long long kPadKey = ~0ull;  // sorts after every real (row, position) key

__global__ void __launch_bounds__(kThreads) make_keys_kernel(const unsigned* ids, size_t n, size_t padded,
                                                             unsigned long long* keys) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= padded) return;
  keys[i] = i < n ? (static_cast<unsigned long long>(ids[i]) << 32) | static_cast<unsigned long long>(i) : kPadKey;
}

// One compare-exchange step (size, stride) of a bitonic sort of `padded` (a power of two) keys, ascending.
__global__ void __launch_bounds__(kThreads) bitonic_step_kernel(unsigned long long* keys, size_t padded, size_t size,
                                                                size_t stride) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= padded) return;
  const size_t partner = i ^ stride;
  if (partner <= i) return;
  const bool ascending = (i & size) == 0;
  const unsigned long long a = keys[i], b = keys[partner];
  if ((a > b) == ascending) {
    keys[i] = b;
    keys[partner] = a;
  }
}

// Segment number of every sorted position (a single block: an inclusive scan of "row differs from the
// previous one", chunked over the block's threads), each segment's first position and row, and the count.
__global__ void __launch_bounds__(kThreads) segments_kernel(const unsigned long long* keys, size_t n,
                                                            unsigned* segment_start, unsigned* segment_row,
                                                            unsigned* touched) {
  __shared__ unsigned partial[kThreads];
  const unsigned t = threadIdx.x;
  const size_t chunk = (n + kThreads - 1) / kThreads;
  const size_t begin = t * chunk < n ? t * chunk : n, end = begin + chunk < n ? begin + chunk : n;
  unsigned heads = 0;
  for (size_t i = begin; i < end; ++i) heads += (i == 0 || (keys[i] >> 32) != (keys[i - 1] >> 32)) ? 1u : 0u;
  partial[t] = heads;
  __syncthreads();
  for (unsigned offset = 1; offset < kThreads; offset *= 2) {  // Hillis-Steele inclusive scan
    const unsigned add = t >= offset ? partial[t - offset] : 0u;
    __syncthreads();
    partial[t] += add;
    __syncthreads();
  }
  unsigned segment = partial[t] - heads;  // segments started before this chunk
  for (size_t i = begin; i < end; ++i) {
    if (i == 0 || (keys[i] >> 32) != (keys[i - 1] >> 32)) {
      segment_start[segment] = static_cast<unsigned>(i);
      segment_row[segment] = static_cast<unsigned>(keys[i] >> 32);
      ++segment;
    }
  }
  if (t == kThreads - 1) *touched = partial[t];
}

// The bag holding position i: the last b with offsets[b] <= i (empty bags share their offset with the next).
__device__ __forceinline__ size_t bag_of(const unsigned* offsets, size_t bags, size_t i) {
  size_t lo = 0, hi = bags;
  while (lo < hi) {
    const size_t mid = (lo + hi) / 2;
    if (offsets[mid] <= i) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

// grid: (segments, dim blocks). grads[s][d] = Σ over the segment's positions, in order, of grad_out[bag][d] · w.
__global__ void __launch_bounds__(kSumThreads) segment_sum_kernel(
    const unsigned long long* keys, size_t n, const unsigned* segment_start, const unsigned* touched,
    const unsigned* offsets, size_t bags, const float* weights, int mode, const float* grad_out,
    const unsigned* argmax, size_t dim, float* grads) {
  const size_t s = blockIdx.x;
  const size_t d = static_cast<size_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (s >= *touched || d >= dim) return;
  const size_t begin = segment_start[s], end = s + 1 < *touched ? segment_start[s + 1] : n;
  float acc = 0.0f;
  for (size_t p = begin; p < end; ++p) {
    const size_t position = static_cast<size_t>(keys[p] & 0xFFFFFFFFull);
    const size_t bag = offsets ? bag_of(offsets, bags, position) : position;
    float scale = weights ? weights[position] : 1.0f;
    if (mode == 1 && offsets) {
      const size_t length = (bag + 1 < bags ? offsets[bag + 1] : n) - offsets[bag];
      scale /= static_cast<float>(length);
    }
    // max: only the position that won (bag, d) in the forward receives the element's gradient.
    if (mode == 2 && argmax[bag * dim + d] != position) continue;
    acc += grad_out[bag * dim + d] * scale;
  }
  grads[s * dim + d] = acc;
}

// grid: (bags, dim blocks). The first position of the bag holding the maximum of w_i * T[ids[i]][d]: the
// same comparisons in the same order as the CPU (core/embedding_table_train.cpp), so ties go the same way.
__global__ void __launch_bounds__(kSumThreads) bag_argmax_kernel(const float* __restrict__ table, size_t dim,
                                                                 const unsigned* __restrict__ ids, size_t n,
                                                                 const unsigned* __restrict__ offsets, size_t bags,
                                                                 const float* __restrict__ weights,
                                                                 unsigned* __restrict__ argmax) {
  const size_t b = blockIdx.x;
  const size_t d = static_cast<size_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (d >= dim) return;
  const size_t begin = offsets ? offsets[b] : b;
  const size_t end = offsets ? (b + 1 < bags ? offsets[b + 1] : n) : b + 1;
  float best = 0.0f;
  unsigned arg = 0;
  for (size_t i = begin; i < end; ++i) {
    const float v = table[static_cast<size_t>(ids[i]) * dim + d];
    const float x = weights ? weights[i] * v : v;
    if (i == begin || x > best) {
      best = x;
      arg = static_cast<unsigned>(i);
    }
  }
  if (end > begin) argmax[b * dim + d] = arg;
}

// A thread per position: d out[bag] / d w_i = <grad_out[bag], T[ids[i]]> (max: only the elements it won;
// mean: / the bag's length), summed in double over d in order like the CPU.
__global__ void __launch_bounds__(kThreads) weight_grads_kernel(const float* __restrict__ table, size_t dim,
                                                                const unsigned* __restrict__ ids, size_t n,
                                                                const unsigned* __restrict__ offsets, size_t bags,
                                                                int mode, const float* __restrict__ grad_out,
                                                                const unsigned* __restrict__ argmax,
                                                                float* __restrict__ out) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const size_t bag = offsets ? bag_of(offsets, bags, i) : i;
  const float* row = table + static_cast<size_t>(ids[i]) * dim;
  const float* g = grad_out + bag * dim;
  double acc = 0;
  for (size_t d = 0; d < dim; ++d) {
    if (mode == 2 && argmax[bag * dim + d] != i) continue;
    acc += static_cast<double>(g[d]) * row[d];
  }
  if (mode == 1 && offsets) acc /= static_cast<double>((bag + 1 < bags ? offsets[bag + 1] : n) - offsets[bag]);
  out[i] = static_cast<float>(acc);
}

size_t next_power_of_two(size_t n) {
  size_t p = 1;
  while (p < n) p *= 2;
  return p;
}

// grid: (segments, dim blocks). One optimizer update per touched row and element, with the row's summed
// gradient (core/embedding_optimizers.h: the CPU's formulas). Adam's step count is read here and
// incremented by increment_steps_kernel afterwards, so every dim block sees the same t.
__global__ void __launch_bounds__(kSumThreads) sparse_update_kernel(
    const unsigned* segment_row, const unsigned* touched, const float* grads, size_t dim, float* table,
    float* state_a, float* state_b, const unsigned* steps, int optimizer, float lr, float weight_decay, float eps,
    float beta1, float beta2) {
  const size_t s = blockIdx.x;
  const size_t d = static_cast<size_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (s >= *touched || d >= dim) return;
  const size_t at = static_cast<size_t>(segment_row[s]) * dim + d;
  const float g = grads[s * dim + d];
  switch (optimizer) {
    case 0: table[at] = reckit::sgd_update(table[at], g, lr, weight_decay); break;
    case 1: table[at] = reckit::adagrad_update(table[at], g, &state_a[at], lr, eps, weight_decay); break;
    default: {
      const reckit::AdamCorrection c = reckit::adam_correction(steps[segment_row[s]] + 1, lr, beta1, beta2);
      table[at] = reckit::adam_update(table[at], g, &state_a[at], &state_b[at], c, beta1, beta2, eps, weight_decay);
    }
  }
}

__global__ void __launch_bounds__(kThreads) increment_steps_kernel(const unsigned* segment_row, const unsigned* touched,
                                                                   unsigned* steps) {
  const size_t s = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (s < *touched) ++steps[segment_row[s]];
}

}  // namespace

namespace reckit::cuda {

void validate_batch(size_t rows, size_t dim, const uint32_t* ids, size_t n, const uint32_t* offsets, size_t bags,
                    int mode, bool allow_max) {
  if (mode < 0 || mode > 2 || (mode == 2 && !allow_max))
    invalid(allow_max ? "mode must be 0 (sum), 1 (mean) or 2 (max)"
                      : "this entry point takes sum (0) or mean (1) bags; max needs the resident table");
  if (dim == 0) invalid("dim must be positive");
  if (!offsets && bags != n) invalid("without offsets every id is a bag: bags must equal n");
  if (n >= 0xFFFFFFFFu) invalid("too many positions for 32-bit position numbers");
  if (bags > 0x7FFFFFFFu) invalid("too many bags in one call");
  for (size_t i = 0; i < n; ++i)
    if (ids[i] >= rows) invalid("ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) + " is not a row");
  if (offsets) {
    for (size_t b = 0; b < bags; ++b) {
      if ((b == 0 && offsets[0] != 0) || (b > 0 && offsets[b] < offsets[b - 1]) || offsets[b] > n)
        invalid("offsets must start at 0, be non-decreasing and at most n (offsets[" + std::to_string(b) + "])");
    }
  }
}

void bag_argmax(const float* table, size_t dim, const DeviceBatch& batch, unsigned* argmax) {
  if (batch.bags == 0) return;
  const dim3 grid(static_cast<unsigned>(batch.bags), blocks_for(dim, kSumThreads));
  RECKIT_LAUNCH(bag_argmax_kernel, grid, kSumThreads, 0, nullptr, table, dim, batch.ids, batch.n, batch.offsets,
                batch.bags, batch.weights, argmax);
  check_launch("bag_argmax_kernel");
}

void weight_gradients(const float* table, size_t dim, const DeviceBatch& batch, float* out) {
  if (batch.n == 0) return;
  RECKIT_LAUNCH(weight_grads_kernel, blocks_for(batch.n, kThreads), kThreads, 0, nullptr, table, dim, batch.ids,
                batch.n, batch.offsets, batch.bags, batch.mode, batch.grad_out, batch.argmax, out);
  check_launch("weight_grads_kernel");
}

size_t sort_keys(size_t n) { return next_power_of_two(n); }

unsigned segment_gradients(size_t dim, const DeviceBatch& batch, const SegmentBuffers& b) {
  const size_t n = batch.n;
  const size_t padded = sort_keys(n);
  RECKIT_LAUNCH(make_keys_kernel, blocks_for(padded, kThreads), kThreads, 0, nullptr, batch.ids, n, padded, b.keys);
  check_launch("make_keys_kernel");
  for (size_t size = 2; size <= padded; size *= 2) {
    for (size_t stride = size / 2; stride > 0; stride /= 2) {
      RECKIT_LAUNCH(bitonic_step_kernel, blocks_for(padded, kThreads), kThreads, 0, nullptr, b.keys, padded, size,
                    stride);
      check_launch("bitonic_step_kernel");
    }
  }
  RECKIT_LAUNCH(segments_kernel, 1, kThreads, 0, nullptr, b.keys, n, b.segment_start, b.segment_row, b.touched);
  check_launch("segments_kernel");
  unsigned count = 0;
  check(cudaMemcpy(&count, b.touched, sizeof count, cudaMemcpyDeviceToHost), "copy to host");
  if (count == 0 || count > n) throw Failure{RECKIT_CUDA_FAILED, "segments_kernel: bad segment count"};
  const dim3 grid(count, blocks_for(dim, kSumThreads));
  RECKIT_LAUNCH(segment_sum_kernel, grid, kSumThreads, 0, nullptr, b.keys, n, b.segment_start, b.touched,
                batch.offsets, batch.bags, batch.weights, batch.mode, batch.grad_out, batch.argmax, dim, b.grads);
  check_launch("segment_sum_kernel");
  return count;
}

void sparse_update(const SegmentBuffers& b, unsigned count, size_t dim, float* table, float* state_a, float* state_b,
                   unsigned* steps, int optimizer, float lr, float weight_decay, float eps, float beta1, float beta2) {
  const dim3 grid(count, blocks_for(dim, kSumThreads));
  RECKIT_LAUNCH(sparse_update_kernel, grid, kSumThreads, 0, nullptr, b.segment_row, b.touched, b.grads, dim, table,
                state_a, state_b, steps, optimizer, lr, weight_decay, eps, beta1, beta2);
  check_launch("sparse_update_kernel");
  if (optimizer == 2) {
    RECKIT_LAUNCH(increment_steps_kernel, blocks_for(count, kThreads), kThreads, 0, nullptr, b.segment_row, b.touched,
                  steps);
    check_launch("increment_steps_kernel");
  }
}

}  // namespace reckit::cuda

namespace {

// Segment buffers allocated for one call of a stateless entry point.
struct OwnedSegments {
  reckit::cuda::DeviceBuffer<unsigned long long> keys;
  reckit::cuda::DeviceBuffer<unsigned> segment_start, segment_row, touched;
  reckit::cuda::DeviceBuffer<float> grads;
  reckit::cuda::SegmentBuffers buffers;
  OwnedSegments(size_t n, size_t dim)
      : keys(reckit::cuda::sort_keys(n), "cudaMalloc(keys)"),
        segment_start(n, "cudaMalloc(segments)"),
        segment_row(n, "cudaMalloc(segment rows)"),
        touched(1, "cudaMalloc(count)"),
        grads(n * dim, "cudaMalloc(grads)") {
    buffers = {keys.get(), segment_start.get(), segment_row.get(), touched.get(), grads.get()};
  }
};

// A host batch copied to the device for the stateless entry points below.
struct UploadedBatch {
  reckit::cuda::DeviceBuffer<uint32_t> ids, offsets;
  reckit::cuda::DeviceBuffer<float> weights, grad_out;
  reckit::cuda::DeviceBatch batch;
  UploadedBatch(size_t dim, const uint32_t* h_ids, size_t n, const uint32_t* h_offsets, size_t bags,
                const float* h_weights, int mode, const float* h_grad_out)
      : ids(h_ids, n, "cudaMalloc(ids)"),
        offsets(h_offsets, h_offsets ? bags : 0, "cudaMalloc(offsets)"),
        weights(h_weights, h_weights ? n : 0, "cudaMalloc(weights)"),
        grad_out(h_grad_out, bags * dim, "cudaMalloc(grad_out)") {
    batch.ids = ids.get();
    batch.n = n;
    batch.offsets = h_offsets ? offsets.get() : nullptr;
    batch.bags = bags;
    batch.weights = h_weights ? weights.get() : nullptr;
    batch.mode = mode;
    batch.grad_out = grad_out.get();
  }
};

}  // namespace

RECKIT_CUDA_EXPORT int reckit_cuda_embedding_bag_backward(size_t rows, size_t dim, const uint32_t* ids, size_t n,
                                                          const uint32_t* offsets, size_t bags, const float* weights,
                                                          int mode, const float* grad_out, uint32_t* rows_out,
                                                          float* grads_out, size_t* touched_out, char* message,
                                                          size_t message_size) {
  using namespace reckit::cuda;
  *touched_out = 0;
  return guard(message, message_size, [&] {
    validate_batch(rows, dim, ids, n, offsets, bags, mode, false);
    if (n == 0) return;
    OwnedSegments segments(n, dim);
    UploadedBatch up(dim, ids, n, offsets, bags, weights, mode, grad_out);
    const unsigned count = segment_gradients(dim, up.batch, segments.buffers);
    segments.segment_row.copy_to_host(rows_out, count);
    segments.grads.copy_to_host(grads_out, static_cast<size_t>(count) * dim);
    *touched_out = count;
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_embedding_sparse_step(float* table, size_t rows, size_t dim, float* state_a,
                                                         float* state_b, uint32_t* steps, int optimizer, float lr,
                                                         float weight_decay, float eps, float beta1, float beta2,
                                                         const uint32_t* ids, size_t n, const uint32_t* offsets,
                                                         size_t bags, const float* weights, int mode,
                                                         const float* grad_out, size_t* touched_out, char* message,
                                                         size_t message_size) {
  using namespace reckit::cuda;
  *touched_out = 0;
  return guard(message, message_size, [&] {
    validate_batch(rows, dim, ids, n, offsets, bags, mode, false);
    if (optimizer < 0 || optimizer > 2) invalid("optimizer must be 0 (SGD), 1 (Adagrad) or 2 (Adam)");
    if (optimizer >= 1 && !state_a) invalid("Adagrad and Adam need state_a");
    if (optimizer == 2 && (!state_b || !steps)) invalid("Adam needs state_b and steps");
    if (n == 0) return;
    OwnedSegments segments(n, dim);
    UploadedBatch up(dim, ids, n, offsets, bags, weights, mode, grad_out);
    const unsigned count = segment_gradients(dim, up.batch, segments.buffers);
    // This stateless form moves the table and the state whole; EmbeddingTable keeps them resident instead
    // (embedding_table.cu).
    DeviceBuffer<float> d_table(table, rows * dim, "cudaMalloc(table)");
    DeviceBuffer<float> d_a(state_a, optimizer >= 1 ? rows * dim : 0, "cudaMalloc(optimizer state)");
    DeviceBuffer<float> d_b(state_b, optimizer == 2 ? rows * dim : 0, "cudaMalloc(optimizer state)");
    DeviceBuffer<unsigned> d_steps(steps, optimizer == 2 ? rows : 0, "cudaMalloc(step counts)");
    sparse_update(segments.buffers, count, dim, d_table.get(), d_a.get(), d_b.get(), d_steps.get(), optimizer, lr,
                  weight_decay, eps, beta1, beta2);
    if (optimizer == 2) {
      d_b.copy_to_host(state_b, rows * dim);
      d_steps.copy_to_host(steps, rows);
    }
    if (optimizer >= 1) d_a.copy_to_host(state_a, rows * dim);
    d_table.copy_to_host(table, rows * dim);
    *touched_out = count;
  });
}
