// Bounded top-k collectors with the id tie-break, and sorting of merged hits (see topk.h).
#include "core/topk.h"

#include <algorithm>
#include <cmath>

namespace reckit::topk {

Collector::Collector(size_t k, const uint64_t* row_ids, double margin) : k_(k), row_ids_(row_ids), margin_(margin) {
  heap_.reserve(std::min<size_t>(k, 1u << 16));
}

float lowered(float value, double margin) {
  if (!std::isfinite(value)) return value;
  const float f = static_cast<float>(static_cast<double>(value) - margin);
  return std::nextafter(f, -std::numeric_limits<float>::infinity());
}

void Collector::update_floor() {
  if (heap_.size() < k_) return;
  floor_ = margin_ > 0 ? lowered(heap_.front().score, margin_) : heap_.front().score;
}

float Collector::kth_score() const {
  return heap_.size() < k_ ? -std::numeric_limits<float>::infinity() : heap_.front().score;
}

void Collector::offer(float score, uint32_t row) {
  const Hit hit{score, row};
  const uint64_t* ids = row_ids_;
  // std heap with "a is better than b" as its less-than: the front is the worst kept hit.
  auto cmp = [ids](const Hit& a, const Hit& b) { return better(a, b, ids); };
  if (heap_.size() < k_) {
    heap_.push_back(hit);
    std::push_heap(heap_.begin(), heap_.end(), cmp);
    update_floor();
  } else if (better(hit, heap_.front(), ids)) {
    std::pop_heap(heap_.begin(), heap_.end(), cmp);
    heap_.back() = hit;
    std::push_heap(heap_.begin(), heap_.end(), cmp);
    update_floor();
  }
  if (margin_ > 0 && score >= floor_) {
    candidates_.push_back(hit);
    if (candidates_.size() >= prune_at_) {
      // The floor only rises, so a candidate below it now can never be needed (see cosine_index.h).
      const float f = floor_;
      candidates_.erase(std::remove_if(candidates_.begin(), candidates_.end(), [f](const Hit& h) { return h.score < f; }),
                        candidates_.end());
      prune_at_ = std::max<size_t>(4096, 2 * candidates_.size());
    }
  }
}

std::vector<Hit> Collector::take_candidates() {
  const float f = floor_;
  candidates_.erase(std::remove_if(candidates_.begin(), candidates_.end(), [f](const Hit& h) { return h.score < f; }),
                    candidates_.end());
  return std::move(candidates_);
}

void sort_and_truncate(std::vector<Hit>& hits, size_t k, const uint64_t* row_ids) {
  auto cmp = [row_ids](const Hit& a, const Hit& b) { return better(a, b, row_ids); };
  if (hits.size() > k) {
    std::nth_element(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(k), hits.end(), cmp);
    hits.resize(k);
  }
  std::sort(hits.begin(), hits.end(), cmp);
}

}  // namespace reckit::topk
