// Exact top-k by inner product on the GPU, stateless: the matrix goes up for this one call as a transient
// f32 device index (without a pinned staging buffer: see index_create) and the winning rows come back mapped to
// the caller's ids. The transient index itself stays: the scan reads its rows and ids from device memory
// either way, and one kernel for both entry points is worth more than the handle's few small allocations. The scan itself is index.cu's
// (tiles of rows × dims in shared memory, a warp per query offering its 32 scores to a sorted list, row
// slices merged by a second kernel; order "higher score, then smaller id", the CPU's), so one kernel serves
// both this entry point and the device-resident CosineIndex.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cuda/cuda_common.h"

using namespace reckit::cuda;

// index.cu's entry points (cuda_abi.h declares only their pointer types, for the loader).
namespace reckit::cuda {
int index_create(const void* data, size_t rows, size_t stride, size_t dim, int dtype, const float* scales,
                 const uint64_t* row_ids, bool pinned, reckit_cuda_index** out, char* message, size_t message_size);
}
RECKIT_CUDA_EXPORT void reckit_cuda_index_destroy(reckit_cuda_index* index);
RECKIT_CUDA_EXPORT int reckit_cuda_index_search(reckit_cuda_index* index, const float* queries, size_t n, size_t k,
                                                const uint32_t* exclude_rows, const uint64_t* exclude_offsets,
                                                const uint64_t* blocked, size_t slice_rows, uint32_t* rows_out,
                                                float* scores_out, char* message, size_t message_size);

namespace {

constexpr uint32_t kEmptyRow = 0xFFFFFFFFu;

// Turns a status returned by another entry point (its message already written) into a Failure.
void pass_on(int status, const char* message) {
  if (status != RECKIT_CUDA_OK) throw Failure{status, message};
}

}  // namespace

RECKIT_CUDA_EXPORT int reckit_cuda_topk_f32(const float* matrix, size_t rows, size_t dim, const uint64_t* row_ids,
                                            const float* queries, size_t n, size_t k, size_t slice_rows,
                                            int64_t* ids_out, float* scores_out, char* message, size_t message_size) {
  return guard(message, message_size, [&] {
    if (k == 0 || k > RECKIT_CUDA_TOPK_MAX_K) invalid("k must be in 1.." + std::to_string(RECKIT_CUDA_TOPK_MAX_K));
    if (dim == 0) invalid("dim must be positive");
    if (rows >= kEmptyRow) invalid("too many rows for 32-bit row numbers");
    if (n == 0) return;
    char inner[512] = {0};
    reckit_cuda_index* handle = nullptr;
    // Unpinned: this index serves one search, so its copies skip the pinned buffer a resident index keeps.
    pass_on(index_create(matrix, rows, dim, dim, RECKIT_CUDA_DTYPE_F32, nullptr, row_ids, false, &handle, inner,
                         sizeof inner),
            inner);
    std::unique_ptr<reckit_cuda_index, void (*)(reckit_cuda_index*)> index(handle, reckit_cuda_index_destroy);
    std::vector<uint32_t> found(n * k);
    pass_on(reckit_cuda_index_search(index.get(), queries, n, k, nullptr, nullptr, nullptr, slice_rows, found.data(),
                                     scores_out, inner, sizeof inner),
            inner);
    for (size_t i = 0; i < n * k; ++i) {
      ids_out[i] = found[i] == kEmptyRow ? -1 : static_cast<int64_t>(row_ids[found[i]]);
    }
  });
}
