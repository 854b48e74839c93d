// A CosineIndex that lives on the device: the scanned matrix (f32, bf16, f16 or i8 with per-row scales)
// and the row ids are uploaded once through a pinned staging buffer (pinned_staging.h) and kept; searches move
// only the queries, the exclusion lists, the filter bitmap and the results.
//
// The scan: tiles of rows × dims in shared memory, a warp per query offering its 32 scores to a sorted list
// per query (topk_select.cuh), slices merged by a second kernel. Rows are decoded from the storage dtype while
// the tile is loaded, and a row must be eligible (not blocked by the filter bitmap, not among the query's
// excluded rows) before it is offered. The stateless reckit_cuda_topk_f32 (topk.cu) runs this same scan on a
// transient f32 index. Filtering inside the selection, not after it, is
// what makes k results come back whenever k eligible rows exist.
//
// i8 rows are summed as integers-as-floats and multiplied by the row's scale at the end, like the CPU's
// score_i8 (scale * dot(q, x)), so both round the same way up to the order of the sum.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>

#include "cuda/cuda_common.h"
#include "cuda/device_scratch.h"
#include "cuda/pinned_staging.h"
#include "cuda/topk_select.cuh"

using namespace reckit::cuda;
using namespace reckit::cuda::select;

namespace {

constexpr size_t kAutoSliceRowsMin = 1024;

// bf16 is the top half of an f32.
__device__ __forceinline__ float bf16_value(uint16_t h) { return __uint_as_float(static_cast<unsigned>(h) << 16); }

// IEEE half to float, exactly (every half is a float): the same mapping as the CPU's f16_to_f32.
__device__ __forceinline__ float f16_value(uint16_t h) {
  const unsigned sign = static_cast<unsigned>(h & 0x8000u) << 16;
  const unsigned exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
  if (exponent == 0) {
    const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-08f;  // mantissa * 2^-24
    return sign ? -magnitude : magnitude;
  }
  if (exponent == 31) return __uint_as_float(sign | 0x7f800000u | (mantissa << 13));
  return __uint_as_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
}

template <int Dtype>
__device__ __forceinline__ float element(const void* data, size_t i) {
  if (Dtype == RECKIT_CUDA_DTYPE_F32) return static_cast<const float*>(data)[i];
  if (Dtype == RECKIT_CUDA_DTYPE_BF16) return bf16_value(static_cast<const uint16_t*>(data)[i]);
  if (Dtype == RECKIT_CUDA_DTYPE_F16) return f16_value(static_cast<const uint16_t*>(data)[i]);
  return static_cast<float>(static_cast<const int8_t*>(data)[i]);
}

struct Eligibility {
  const uint64_t* blocked;         // bitmap over rows, or null
  const uint32_t* exclude_rows;    // per query, sorted
  const uint64_t* exclude_offsets;  // n + 1, or null

  __device__ bool operator()(size_t q, unsigned row) const {
    if (blocked && ((blocked[row >> 6] >> (row & 63)) & 1u)) return false;
    if (exclude_offsets) {
      uint64_t lo = exclude_offsets[q], hi = exclude_offsets[q + 1];  // binary search for row
      while (lo < hi) {
        const uint64_t mid = lo + (hi - lo) / 2;
        const uint32_t v = exclude_rows[mid];
        if (v == row) return false;
        if (v < row) lo = mid + 1;
        else hi = mid;
      }
    }
    return true;
  }
};

// grid: (query blocks, slices). Dynamic shared memory: kQueriesPerBlock lists of k (score, row).
template <int Dtype>
__global__ void __launch_bounds__(kThreads)
    index_slice_kernel(const void* __restrict__ data, const float* __restrict__ scales, size_t rows, size_t stride,
                       size_t dim, const float* __restrict__ queries, size_t n, int k, size_t slice_rows,
                       const uint64_t* __restrict__ row_ids, Eligibility eligible, float* part_score,
                       unsigned* part_row) {
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
        query_tile[i / kDimChunk][i % kDimChunk] = qi < n && d < dim ? queries[qi * stride + d] : 0.0f;
      }
      for (unsigned i = t; i < kTileRows * kDimChunk; i += kThreads) {
        const size_t row = tile + i / kDimChunk, d = c + i % kDimChunk;
        row_tile[i / kDimChunk][i % kDimChunk] = row < r1 && d < dim ? element<Dtype>(data, row * stride + d) : 0.0f;
      }
      __syncthreads();
      for (unsigned d = 0; d < kDimChunk; ++d) acc += query_tile[warp][d] * row_tile[lane][d];
      __syncthreads();
    }
    const size_t row = tile + lane;
    if (q < n) {  // q is warp-uniform
      const bool inside = row < r1;
      if (Dtype == RECKIT_CUDA_DTYPE_I8 && inside) acc *= scales[row];
      const bool valid = inside && eligible(q, static_cast<unsigned>(row));
      list.offer(acc, static_cast<unsigned>(row), valid, row_ids, lane);
    }
  }
  if (q >= n) return;
  const size_t out = (q * gridDim.y + blockIdx.y) * static_cast<size_t>(k);
  const int held = *list.len;
  for (int i = static_cast<int>(lane); i < k; i += 32) {
    part_score[out + i] = i < held ? list.score[i] : -INFINITY;
    part_row[out + i] = i < held ? list.row[i] : kEmptyRow;
  }
}

// One warp per query folds its `slices` lists of k into the final k_out slots (rows, not ids: the host maps
// them, and the rerank needs the rows).
__global__ void __launch_bounds__(kThreads) index_merge_kernel(const float* __restrict__ part_score,
                                                               const unsigned* __restrict__ part_row, unsigned slices,
                                                               size_t n, int k, int k_out,
                                                               const uint64_t* __restrict__ row_ids,
                                                               unsigned* rows_out, float* scores_out) {
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
    rows_out[q * k_out + i] = held ? list.row[i] : kEmptyRow;
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

// RECKIT_CUDA_TEST_SLICE_ROWS=<rows>: the conformance suite forces short slices through the public CosineIndex,
// so the slice merge runs on small indexes (0 or unset: the automatic choice).
size_t test_slice_rows() {
  const char* text = std::getenv("RECKIT_CUDA_TEST_SLICE_ROWS");
  return text && *text ? static_cast<size_t>(std::strtoull(text, nullptr, 10)) : 0;
}

size_t element_bytes(int dtype) {
  switch (dtype) {
    case RECKIT_CUDA_DTYPE_F32: return 4;
    case RECKIT_CUDA_DTYPE_BF16:
    case RECKIT_CUDA_DTYPE_F16: return 2;
    case RECKIT_CUDA_DTYPE_I8: return 1;
    default: invalid("unknown dtype " + std::to_string(dtype));
  }
  return 0;
}

class Stream {
 public:
  Stream() { check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate"); }
  ~Stream() { cudaStreamDestroy(stream_); }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
};

}  // namespace

struct reckit_cuda_index {
  reckit_cuda_index(size_t rows_, size_t stride_, size_t dim_, int dtype_, bool pinned)
      : rows(rows_), stride(stride_), dim(dim_), dtype(dtype_),
        data(rows_ * stride_ * element_bytes(dtype_), "cudaMalloc(index rows)"),
        scales(dtype_ == RECKIT_CUDA_DTYPE_I8 ? rows_ : 0, "cudaMalloc(index scales)"),
        ids(rows_, "cudaMalloc(index ids)"), staging(pinned) {}
  size_t rows, stride, dim;
  int dtype;
  DeviceBuffer<unsigned char> data;
  DeviceBuffer<float> scales;
  DeviceBuffer<uint64_t> ids;
  Stream stream;
  PinnedStaging staging;  // grown on demand: a small index pins only what its transfers need
  // Search buffers, reused by the next search.
  Scratch<float> queries, part_score, scores;
  Scratch<uint64_t> exclude_offsets, blocked;
  Scratch<uint32_t> exclude_rows, part_row, rows_out;
  std::mutex mutex;  // searches share the stream, the staging buffer and the search buffers

  void upload(void* device, const void* host, size_t bytes) { staging.upload(device, host, bytes, stream.get()); }
  size_t bytes() const {
    return data.size() + scales.size() * sizeof(float) + ids.size() * sizeof(uint64_t) + queries.bytes() +
           part_score.bytes() + scores.bytes() + exclude_offsets.bytes() + blocked.bytes() + exclude_rows.bytes() +
           part_row.bytes() + rows_out.bytes();
  }
};

namespace reckit::cuda {

// reckit_cuda_index_create, and for topk.cu a transient index used for one search: `pinned` false skips the
// pinned staging buffer (pinning memory for a single copy costs more than that copy through the driver's own
// bounce buffer).
int index_create(const void* data, size_t rows, size_t stride, size_t dim, int dtype, const float* scales,
                 const uint64_t* row_ids, bool pinned, reckit_cuda_index** out, char* message, size_t message_size) {
  return guard(message, message_size, [&] {
    *out = nullptr;
    if (dim == 0 || stride < dim) invalid("dim must be positive and at most stride");
    if (rows >= kEmptyRow) invalid("too many rows for 32-bit row numbers");
    if (dtype == RECKIT_CUDA_DTYPE_I8 && rows && !scales) invalid("i8 rows need their scales");
    std::unique_ptr<reckit_cuda_index> index(new reckit_cuda_index(rows, stride, dim, dtype, pinned));
    index->upload(index->data.get(), data, rows * stride * element_bytes(dtype));
    if (dtype == RECKIT_CUDA_DTYPE_I8) index->upload(index->scales.get(), scales, rows * sizeof(float));
    index->upload(index->ids.get(), row_ids, rows * sizeof(uint64_t));
    *out = index.release();
  });
}

}  // namespace reckit::cuda

RECKIT_CUDA_EXPORT int reckit_cuda_index_create(const void* data, size_t rows, size_t stride, size_t dim, int dtype,
                                                const float* scales, const uint64_t* row_ids, reckit_cuda_index** out,
                                                char* message, size_t message_size) {
  return reckit::cuda::index_create(data, rows, stride, dim, dtype, scales, row_ids, true, out, message, message_size);
}

RECKIT_CUDA_EXPORT void reckit_cuda_index_destroy(reckit_cuda_index* index) { delete index; }

RECKIT_CUDA_EXPORT size_t reckit_cuda_index_bytes(const reckit_cuda_index* index) {
  if (!index) return 0;
  std::lock_guard<std::mutex> lock(const_cast<reckit_cuda_index*>(index)->mutex);
  return index->bytes();
}

RECKIT_CUDA_EXPORT int reckit_cuda_index_search(reckit_cuda_index* index, const float* queries, size_t n, size_t k,
                                                const uint32_t* exclude_rows, const uint64_t* exclude_offsets,
                                                const uint64_t* blocked, size_t slice_rows, uint32_t* rows_out,
                                                float* scores_out, char* message, size_t message_size) {
  return guard(message, message_size, [&] {
    if (!index) invalid("no index");
    if (k == 0 || k > RECKIT_CUDA_TOPK_MAX_K) invalid("k must be in 1.." + std::to_string(RECKIT_CUDA_TOPK_MAX_K));
    if (n == 0) return;
    std::lock_guard<std::mutex> lock(index->mutex);
    const size_t rows = index->rows;
    const int k_held = static_cast<int>(k < rows ? k : rows);
    if (k_held == 0) {  // an empty index: every slot is missing
      for (size_t i = 0; i < n * k; ++i) {
        rows_out[i] = kEmptyRow;
        scores_out[i] = -INFINITY;
      }
      return;
    }
    const size_t query_blocks = (n + kQueriesPerBlock - 1) / kQueriesPerBlock;
    if (query_blocks > 0x7FFFFFFFu) invalid("too many queries in one call");
    if (slice_rows == 0) slice_rows = test_slice_rows();
    if (slice_rows == 0) slice_rows = auto_slice_rows(rows, query_blocks);
    const size_t slices = (rows + slice_rows - 1) / slice_rows;
    if (slices > 65535) invalid("slice_rows too small for this many rows");
    const cudaStream_t s = index->stream.get();

    float* d_queries = index->queries.get(n * index->stride, "cudaMalloc(queries)");
    index->upload(d_queries, queries, n * index->stride * sizeof(float));
    Eligibility eligible{nullptr, nullptr, nullptr};
    if (exclude_offsets) {
      const size_t excluded = exclude_offsets[n];
      uint64_t* d_offsets = index->exclude_offsets.get(n + 1, "cudaMalloc(exclusion offsets)");
      uint32_t* d_excluded = index->exclude_rows.get(excluded, "cudaMalloc(exclusions)");
      index->upload(d_offsets, exclude_offsets, (n + 1) * sizeof(uint64_t));
      index->upload(d_excluded, exclude_rows, excluded * sizeof(uint32_t));
      eligible.exclude_offsets = d_offsets;
      eligible.exclude_rows = d_excluded;
    }
    if (blocked) {
      const size_t words = (rows + 63) / 64;
      uint64_t* d_blocked = index->blocked.get(words, "cudaMalloc(filter bitmap)");
      index->upload(d_blocked, blocked, words * sizeof(uint64_t));
      eligible.blocked = d_blocked;
    }
    float* part_score = index->part_score.get(n * slices * k_held, "cudaMalloc(partial scores)");
    unsigned* part_row = index->part_row.get(n * slices * k_held, "cudaMalloc(partial rows)");
    unsigned* d_rows = index->rows_out.get(n * k, "cudaMalloc(result rows)");
    float* d_scores = index->scores.get(n * k, "cudaMalloc(result scores)");
    const size_t shared_bytes = list_bytes(k_held);
    const dim3 grid(static_cast<unsigned>(query_blocks), static_cast<unsigned>(slices));
    const void* d_data = index->data.get();
    const float* d_scales = index->scales.get();
    switch (index->dtype) {
      case RECKIT_CUDA_DTYPE_F32: {
        auto kernel = &index_slice_kernel<RECKIT_CUDA_DTYPE_F32>;
        RECKIT_LAUNCH(kernel, grid, kThreads, shared_bytes, s, d_data, d_scales, rows, index->stride, index->dim,
                      d_queries, n, k_held, slice_rows, index->ids.get(), eligible, part_score, part_row);
        break;
      }
      case RECKIT_CUDA_DTYPE_BF16: {
        auto kernel = &index_slice_kernel<RECKIT_CUDA_DTYPE_BF16>;
        RECKIT_LAUNCH(kernel, grid, kThreads, shared_bytes, s, d_data, d_scales, rows, index->stride, index->dim,
                      d_queries, n, k_held, slice_rows, index->ids.get(), eligible, part_score, part_row);
        break;
      }
      case RECKIT_CUDA_DTYPE_F16: {
        auto kernel = &index_slice_kernel<RECKIT_CUDA_DTYPE_F16>;
        RECKIT_LAUNCH(kernel, grid, kThreads, shared_bytes, s, d_data, d_scales, rows, index->stride, index->dim,
                      d_queries, n, k_held, slice_rows, index->ids.get(), eligible, part_score, part_row);
        break;
      }
      default: {
        auto kernel = &index_slice_kernel<RECKIT_CUDA_DTYPE_I8>;
        RECKIT_LAUNCH(kernel, grid, kThreads, shared_bytes, s, d_data, d_scales, rows, index->stride, index->dim,
                      d_queries, n, k_held, slice_rows, index->ids.get(), eligible, part_score, part_row);
        break;
      }
    }
    check_launch("index_slice_kernel");
    RECKIT_LAUNCH(index_merge_kernel, static_cast<unsigned>(query_blocks), kThreads, shared_bytes, s, part_score,
                  part_row, static_cast<unsigned>(slices), n, k_held, static_cast<int>(k), index->ids.get(), d_rows,
                  d_scores);
    check_launch("index_merge_kernel");
    index->staging.download(rows_out, d_rows, n * k * sizeof(unsigned), s);
    index->staging.download(scores_out, d_scores, n * k * sizeof(float), s);
  });
}
