// The per-query selection shared by the top-k kernels (topk.cu: pointer-level f32; index.cu: the
// device-resident index): a sorted list of the k best (score, row) pairs per warp in shared memory, in the
// CPU's order "higher score, then smaller caller id". Compiles with nvcc and with the emulator.
#pragma once
#include <cmath>

#include "cuda/cuda_common.h"

namespace reckit::cuda::select {

constexpr unsigned kQueriesPerBlock = 8;  // one warp per query
constexpr unsigned kThreads = kQueriesPerBlock * 32;
constexpr unsigned kTileRows = 32;  // one row per lane
constexpr unsigned kDimChunk = 64;
constexpr unsigned kEmptyRow = 0xFFFFFFFFu;

static_assert(RECKIT_CUDA_TOPK_MAX_K * kQueriesPerBlock * 8 + kQueriesPerBlock * 260 <= 20 * 1024,
              "selection lists and the tiles fit the default 48 KB of shared memory");

__device__ __forceinline__ bool better(float a_score, unsigned a_row, float b_score, unsigned b_row,
                                       const uint64_t* row_ids) {
  if (a_score != b_score) return a_score > b_score;
  if (b_row == kEmptyRow) return a_row != kEmptyRow;
  return a_row != kEmptyRow && row_ids[a_row] < row_ids[b_row];
}

// A query's best hits so far, sorted best first, in shared memory; one warp offers hits 32 at a time.
// The lanes test their hit against the current k-th best and stage it; lane 0 then inserts the staged hits
// in lane order (binary search, shift up). After the list fills, few hits pass the test, so the serial
// part is short; it costs two warp barriers per round whatever the number of insertions.
struct WarpList {
  float* score;       // k
  unsigned* row;      // k
  float* stage_score;  // 32
  unsigned* stage_row;  // 32 (kEmptyRow: nothing staged by this lane)
  int* len;
  int k;

  // Per-warp slices of a dynamic shared memory block laid out by list_bytes().
  __device__ static WarpList of(float* shared, unsigned warp, int k) {
    float* scores = shared;
    unsigned* rows = reinterpret_cast<unsigned*>(scores + kQueriesPerBlock * k);
    float* stage_scores = reinterpret_cast<float*>(rows + kQueriesPerBlock * k);
    unsigned* stage_rows = reinterpret_cast<unsigned*>(stage_scores + kQueriesPerBlock * 32);
    int* lens = reinterpret_cast<int*>(stage_rows + kQueriesPerBlock * 32);
    return WarpList{scores + warp * k, rows + warp * k, stage_scores + warp * 32, stage_rows + warp * 32,
                    lens + warp, k};
  }

  // Every lane of the warp calls this (uniform control flow).
  __device__ void reset(unsigned lane) {
    if (lane == 0) *len = 0;
    __syncwarp();
  }

  __device__ void insert(float s, unsigned r, int held, const uint64_t* row_ids) {
    int lo = 0, hi = held;  // first entry not better than (s, r)
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (better(score[mid], row[mid], s, r, row_ids)) lo = mid + 1;
      else hi = mid;
    }
    for (int i = (held < k ? held : k - 1); i > lo; --i) {
      score[i] = score[i - 1];
      row[i] = row[i - 1];
    }
    score[lo] = s;
    row[lo] = r;
  }

  // Every lane offers one hit (valid or not); every lane of the warp calls this.
  __device__ void offer(float s, unsigned r, bool valid, const uint64_t* row_ids, unsigned lane) {
    const int held = *len;
    const bool candidate = valid && (held < k || better(s, r, score[k - 1], row[k - 1], row_ids));
    stage_score[lane] = s;
    stage_row[lane] = candidate ? r : kEmptyRow;
    __syncwarp();
    if (lane == 0) {
      int n = held;
      for (int j = 0; j < 32; ++j) {
        const unsigned cr = stage_row[j];
        if (cr == kEmptyRow) continue;
        const float cs = stage_score[j];
        // Re-check: the insertions of this round may have raised the bar.
        if (n == k && !better(cs, cr, score[k - 1], row[k - 1], row_ids)) continue;
        insert(cs, cr, n, row_ids);
        if (n < k) ++n;
      }
      *len = n;
    }
    __syncwarp();
  }
};

// Dynamic shared memory of a block's kQueriesPerBlock lists.
inline size_t list_bytes(int k) {
  return kQueriesPerBlock * (static_cast<size_t>(k) * (sizeof(float) + sizeof(unsigned)) +
                             32 * (sizeof(float) + sizeof(unsigned)) + sizeof(int));
}

}  // namespace reckit::cuda::select
