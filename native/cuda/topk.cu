// Exact top-k by inner product on the GPU: tiled scoring fused with per-query selection, then a merge.
//
// Pass 1 (topk_slice_kernel): a block takes kQueriesPerBlock queries (one warp each) and one slice of rows.
// It streams the slice through shared memory in tiles of kTileRows rows × kDimChunk dims, so every thread
// owns one (query, row) score per tile; the warp then offers its 32 scores to the query's sorted list in
// shared memory (WarpList). Each block writes its lists, one per query, for its slice.
// Pass 2 (topk_merge_kernel): one warp per query folds the slices' lists into the final k the same way.
// The order is the CPU's: higher score first, then smaller caller id, so results match id for id.
#include <cmath>

#include "cuda/cuda_common.h"
#include "cuda/topk_select.cuh"

namespace {

constexpr size_t kAutoSliceRowsMin = 1024;
using namespace reckit::cuda::select;

// grid: (query blocks, slices). Dynamic shared memory: kQueriesPerBlock lists of k (score, row).
__global__ void __launch_bounds__(kThreads) topk_slice_kernel(const float* __restrict__ matrix, size_t rows, size_t dim,
                                                              const float* __restrict__ queries, size_t n, int k,
                                                              size_t slice_rows, const uint64_t* __restrict__ row_ids,
                                                              float* part_score, unsigned* part_row) {
  __shared__ float query_tile[kQueriesPerBlock][kDimChunk];
  __shared__ float row_tile[kTileRows][kDimChunk + 1];  // +1: lanes read different rows without bank conflicts
  RECKIT_DYNAMIC_SHARED(float, lists);
  const unsigned t = threadIdx.x, warp = t / 32, lane = t % 32;
  const size_t q = static_cast<size_t>(blockIdx.x) * kQueriesPerBlock + warp;
  const size_t r0 = static_cast<size_t>(blockIdx.y) * slice_rows;
  const size_t r1 = r0 + slice_rows < rows ? r0 + slice_rows : rows;
  WarpList list = WarpList::of(lists, warp, k);
  list.reset(lane);

  for (size_t tile = r0; tile < r1; tile += kTileRows) {
    float acc = 0.0f;
    for (size_t c = 0; c < dim; c += kDimChunk) {
      for (unsigned i = t; i < kQueriesPerBlock * kDimChunk; i += kThreads) {
        const size_t qi = static_cast<size_t>(blockIdx.x) * kQueriesPerBlock + i / kDimChunk, d = c + i % kDimChunk;
        query_tile[i / kDimChunk][i % kDimChunk] = qi < n && d < dim ? queries[qi * dim + d] : 0.0f;
      }
      for (unsigned i = t; i < kTileRows * kDimChunk; i += kThreads) {
        const size_t row = tile + i / kDimChunk, d = c + i % kDimChunk;
        row_tile[i / kDimChunk][i % kDimChunk] = row < r1 && d < dim ? matrix[row * dim + d] : 0.0f;
      }
      __syncthreads();
      for (unsigned d = 0; d < kDimChunk; ++d) acc += query_tile[warp][d] * row_tile[lane][d];
      __syncthreads();
    }
    const size_t row = tile + lane;
    if (q < n) list.offer(acc, static_cast<unsigned>(row), row < r1, row_ids, lane);  // q is warp-uniform
  }
  if (q >= n) return;
  const size_t out = (q * gridDim.y + blockIdx.y) * static_cast<size_t>(k);
  const int held = *list.len;
  for (int i = static_cast<int>(lane); i < k; i += 32) {
    part_score[out + i] = i < held ? list.score[i] : -INFINITY;
    part_row[out + i] = i < held ? list.row[i] : kEmptyRow;
  }
}

// One warp per query folds its `slices` lists of k into the final k and writes ids and scores.
__global__ void __launch_bounds__(kThreads) topk_merge_kernel(const float* __restrict__ part_score,
                                                              const unsigned* __restrict__ part_row, unsigned slices,
                                                              size_t n, int k, int k_out,
                                                              const uint64_t* __restrict__ row_ids, int64_t* ids_out,
                                                              float* scores_out) {
  RECKIT_DYNAMIC_SHARED(float, lists);
  const unsigned t = threadIdx.x, warp = t / 32, lane = t % 32;
  const size_t q = static_cast<size_t>(blockIdx.x) * kQueriesPerBlock + warp;
  if (q >= n) return;  // whole warps leave together
  WarpList list = WarpList::of(lists, warp, k);
  list.reset(lane);
  const size_t first = q * slices * static_cast<size_t>(k), total = static_cast<size_t>(slices) * k;
  for (size_t base = 0; base < total; base += 32) {
    const size_t i = base + lane;
    const unsigned r = i < total ? part_row[first + i] : kEmptyRow;
    const float s = i < total ? part_score[first + i] : -INFINITY;
    list.offer(s, r, r != kEmptyRow, row_ids, lane);
  }
  const int held_count = *list.len;
  for (int i = static_cast<int>(lane); i < k_out; i += 32) {
    const bool held = i < held_count;
    ids_out[q * k_out + i] = held ? static_cast<int64_t>(row_ids[list.row[i]]) : -1;
    scores_out[q * k_out + i] = held ? list.score[i] : -INFINITY;
  }
}

size_t auto_slice_rows(size_t rows, size_t query_blocks) {
  // Enough blocks to fill a large GPU (~512), but slices long enough that the merge stays small.
  size_t slices = (512 + query_blocks - 1) / query_blocks;
  const size_t max_slices = (rows + kAutoSliceRowsMin - 1) / kAutoSliceRowsMin;
  if (slices > max_slices) slices = max_slices;
  if (slices < 1) slices = 1;
  return (rows + slices - 1) / slices;
}

}  // namespace

RECKIT_CUDA_EXPORT int reckit_cuda_topk_f32(const float* matrix, size_t rows, size_t dim, const uint64_t* row_ids,
                                            const float* queries, size_t n, size_t k, size_t slice_rows,
                                            int64_t* ids_out, float* scores_out, char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    if (k == 0 || k > RECKIT_CUDA_TOPK_MAX_K) invalid("k must be in 1.." + std::to_string(RECKIT_CUDA_TOPK_MAX_K));
    if (dim == 0) invalid("dim must be positive");
    if (rows >= kEmptyRow) invalid("too many rows for 32-bit row numbers");
    if (n == 0) return;
    const int k_held = static_cast<int>(k < rows ? k : rows);
    if (k_held == 0) {  // an empty index: every slot is missing
      for (size_t i = 0; i < n * k; ++i) {
        ids_out[i] = -1;
        scores_out[i] = -INFINITY;
      }
      return;
    }
    const size_t query_blocks = (n + kQueriesPerBlock - 1) / kQueriesPerBlock;
    if (query_blocks > 0x7FFFFFFFu) invalid("too many queries in one call");
    if (slice_rows == 0) slice_rows = auto_slice_rows(rows, query_blocks);
    const size_t slices = (rows + slice_rows - 1) / slice_rows;
    if (slices > 65535) invalid("slice_rows too small for this many rows");
    DeviceBuffer<float> d_matrix(matrix, rows * dim, "cudaMalloc(matrix)");
    DeviceBuffer<uint64_t> d_ids(row_ids, rows, "cudaMalloc(row ids)");
    DeviceBuffer<float> d_queries(queries, n * dim, "cudaMalloc(queries)");
    DeviceBuffer<float> part_score(n * slices * k_held, "cudaMalloc(partial scores)");
    DeviceBuffer<unsigned> part_row(n * slices * k_held, "cudaMalloc(partial rows)");
    DeviceBuffer<int64_t> d_out_ids(n * k, "cudaMalloc(ids)");
    DeviceBuffer<float> d_out_scores(n * k, "cudaMalloc(scores)");
    const size_t shared_bytes = list_bytes(k_held);
    RECKIT_LAUNCH(topk_slice_kernel, dim3(static_cast<unsigned>(query_blocks), static_cast<unsigned>(slices)), kThreads,
                  shared_bytes, nullptr, d_matrix.get(), rows, dim, d_queries.get(), n, k_held, slice_rows, d_ids.get(),
                  part_score.get(), part_row.get());
    check_launch("topk_slice_kernel");
    RECKIT_LAUNCH(topk_merge_kernel, static_cast<unsigned>(query_blocks), kThreads, shared_bytes, nullptr,
                  part_score.get(), part_row.get(), static_cast<unsigned>(slices), n, k_held, static_cast<int>(k),
                  d_ids.get(), d_out_ids.get(), d_out_scores.get());
    check_launch("topk_merge_kernel");
    d_out_ids.copy_to_host(ids_out, n * k);
    d_out_scores.copy_to_host(scores_out, n * k);
  });
}
