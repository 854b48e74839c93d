// Pooled embedding lookups on the GPU (core/embedding_table.h's contract): a block per (bag, slice of
// dims), a thread per output element, positions visited in order so sums round like the CPU's loop.
#include <cmath>

#include "cuda/cuda_common.h"
#include "cuda/embedding_segments.h"

namespace {

constexpr unsigned kThreads = 128;  // dims per block: consecutive threads read consecutive floats of a row

// grid: (bags, dim blocks). offsets == nullptr: bag b is position b.
__global__ void __launch_bounds__(kThreads) embedding_bag_kernel(const float* __restrict__ table, size_t dim,
                                                                 const unsigned* __restrict__ ids, size_t n,
                                                                 const unsigned* __restrict__ offsets, size_t bags,
                                                                 const float* __restrict__ weights, int mode,
                                                                 float* __restrict__ out) {
  const size_t b = blockIdx.x;
  const size_t d = static_cast<size_t>(blockIdx.y) * blockDim.x + threadIdx.x;
  if (d >= dim) return;
  const size_t begin = offsets ? offsets[b] : b;
  const size_t end = offsets ? (b + 1 < bags ? offsets[b + 1] : n) : b + 1;
  float acc = mode == 2 ? -INFINITY : 0.0f;
  for (size_t i = begin; i < end; ++i) {
    const float v = table[static_cast<size_t>(ids[i]) * dim + d];
    const float x = weights ? weights[i] * v : v;
    if (mode == 2) acc = x > acc ? x : acc;
    else acc += x;
  }
  if (end == begin) acc = 0.0f;  // an empty bag yields zeros
  else if (mode == 1) acc /= static_cast<float>(end - begin);
  out[b * dim + d] = acc;
}

}  // namespace

namespace reckit::cuda {

void launch_embedding_bag(const float* table, size_t dim, const DeviceBatch& batch, float* out) {
  if (batch.bags == 0) return;
  const dim3 grid(static_cast<unsigned>(batch.bags), blocks_for(dim, kThreads));
  RECKIT_LAUNCH(embedding_bag_kernel, grid, kThreads, 0, nullptr, table, dim, batch.ids, batch.n, batch.offsets,
                batch.bags, batch.weights, batch.mode, out);
  check_launch("embedding_bag_kernel");
}

}  // namespace reckit::cuda

RECKIT_CUDA_EXPORT int reckit_cuda_embedding_bag(const float* table, size_t rows, size_t dim, const uint32_t* ids,
                                                 size_t n, const uint32_t* offsets, size_t bags, const float* weights,
                                                 int mode, float* out, char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    if (mode < 0 || mode > 2) invalid("mode must be 0 (sum), 1 (mean) or 2 (max)");
    if (dim == 0) invalid("dim must be positive");
    if (!offsets && bags != n) invalid("without offsets every id is a bag: bags must equal n");
    // One validation pass before anything moves (the kernels trust their input).
    for (size_t i = 0; i < n; ++i)
      if (ids[i] >= rows) invalid("ids[" + std::to_string(i) + "] = " + std::to_string(ids[i]) + " is not a row");
    if (offsets) {
      for (size_t b = 0; b < bags; ++b) {
        if ((b == 0 && offsets[0] != 0) || (b > 0 && offsets[b] < offsets[b - 1]) || offsets[b] > n)
          invalid("offsets must start at 0, be non-decreasing and at most n (offsets[" + std::to_string(b) + "])");
      }
    }
    if (bags == 0) return;
    if (bags > 0x7FFFFFFFu) invalid("too many bags in one call");
    DeviceBuffer<float> d_table(table, rows * dim, "cudaMalloc(table)");
    DeviceBuffer<uint32_t> d_ids(ids, n, "cudaMalloc(ids)");
    DeviceBuffer<uint32_t> d_offsets(offsets, offsets ? bags : 0, "cudaMalloc(offsets)");
    DeviceBuffer<float> d_weights(weights, weights ? n : 0, "cudaMalloc(weights)");
    DeviceBuffer<float> d_out(bags * dim, "cudaMalloc(out)");
    const dim3 grid(static_cast<unsigned>(bags), blocks_for(dim, kThreads));
    RECKIT_LAUNCH(embedding_bag_kernel, grid, kThreads, 0, nullptr, d_table.get(), dim, d_ids.get(), n,
                  offsets ? d_offsets.get() : nullptr, bags, weights ? d_weights.get() : nullptr, mode, d_out.get());
    check_launch("embedding_bag_kernel");
    d_out.copy_to_host(out, bags * dim);
  });
}
