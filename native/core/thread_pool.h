// The process-wide compute pool. Heavy ops split their work into a fixed number of chunks that
// depends only on the problem and the pool size, so results are deterministic for a thread count.
// Callers (the JS thread for sync calls, libuv workers for async ones) take part in their own job;
// parallel regions from different callers run one after another; a nested region runs inline.
#pragma once
#include <cstddef>
#include <functional>

namespace reckit {

// Calls body(chunk, begin, end) for `chunks` equal slices of [0, n); chunk indices run 0..chunks-1.
using ChunkBody = std::function<void(size_t chunk, size_t begin, size_t end)>;

class ComputePool {
 public:
  static ComputePool& instance();

  // Number of threads a parallel region uses (the caller counts as one).
  size_t threads() const;
  // Resizes the pool; n == 0 restores the default (RECKIT_THREADS, else the physical core count).
  void set_threads(size_t n);
  // The thread count used when nothing was set: RECKIT_THREADS, else the physical cores.
  static size_t default_threads();
  static size_t physical_cores();

  // Runs body over [0, n) split in `chunks` contiguous slices (chunks is clamped to [1, n]).
  // Exceptions thrown by a chunk are rethrown here after every chunk has finished.
  void parallel_chunks(size_t n, size_t chunks, const ChunkBody& body);

  // Splits [0, n) so that each slice has at least `min_per_chunk` items, using at most threads() slices.
  void parallel_for(size_t n, size_t min_per_chunk, const ChunkBody& body);

  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

 private:
  ComputePool();
  ~ComputePool();
  struct Impl;
  Impl* impl_;
};

}  // namespace reckit
