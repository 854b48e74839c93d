// Top-k selection for CosineIndex: a bounded collector per (query, slice of rows) with the exact order
// "higher score first, then smaller id", and the merge of collectors. Scoring lives in cpu/topk_scan.h;
// this file never computes a score, it only decides which (score, row) pairs to keep.
//
// A collector keeps the best k hits in a heap whose top is the worst kept hit, so `floor()` is the
// threshold a new score must reach. With a `margin` > 0 it also keeps every offered hit whose score is
// at least (k-th best so far) - margin: the candidate set of the rerank argument in cosine_index.h.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace reckit::topk {

struct Hit {
  float score;
  uint32_t row;
};

// The total order of results: higher score, then smaller id (row_ids maps a row to the caller's id).
inline bool better(const Hit& a, const Hit& b, const uint64_t* row_ids) {
  return a.score > b.score || (a.score == b.score && row_ids[a.row] < row_ids[b.row]);
}

class Collector {
 public:
  // k > 0 hits at most; `margin` >= 0 (0: plain top-k, no candidate list).
  Collector(size_t k, const uint64_t* row_ids, double margin = 0.0);

  // Scores below floor() can never be kept (nor become rerank candidates): -inf until k hits are held.
  float floor() const { return floor_; }
  // Offers a hit; the caller has checked score >= floor() and that the row is eligible.
  void offer(float score, uint32_t row);

  size_t k() const { return k_; }
  // The kept hits (unordered). With a margin: the candidates, pruned to those within margin of the k-th best.
  std::vector<Hit>& hits() { return heap_; }
  std::vector<Hit> take_candidates();
  // The k-th best score held (or -inf when fewer than k hits are held).
  float kth_score() const;

 private:
  void update_floor();
  size_t k_;
  const uint64_t* row_ids_;
  double margin_;
  float floor_ = -std::numeric_limits<float>::infinity();
  std::vector<Hit> heap_;        // worst kept hit at front
  std::vector<Hit> candidates_;  // margin > 0 only
  size_t prune_at_ = 4096;
};

// Sorts hits best first and keeps at most k of them.
void sort_and_truncate(std::vector<Hit>& hits, size_t k, const uint64_t* row_ids);

// The float just below (value - margin) computed in double, so that rounding never raises a threshold
// above what the exactness argument allows.
float lowered(float value, double margin);

}  // namespace reckit::topk
