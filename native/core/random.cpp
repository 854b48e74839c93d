// Parallel Philox fills on the compute pool; each chunk starts at a block boundary of its own.
#include "core/random.h"

#include "core/philox.h"
#include "core/thread_pool.h"

namespace reckit {
namespace {

constexpr size_t kBlocksPerChunk = 1 << 14;  // 64K words: enough work to be worth a thread
// Normals cost a log and a sincos per pair (~20x a uniform): 4K of them already pay for waking a thread.
// A GAN step draws 32K noise values; split, they no longer run on one thread while the others wait.
constexpr size_t kNormalBlocksPerChunk = 1 << 10;

// Runs emit(block_index, block, first_word, word_count) for every Philox block covering [0, n). Each
// block depends only on its index, so the split (min_blocks, thread count) never changes the values.
template <typename Emit>
void for_each_block(size_t n, uint64_t seed, uint64_t stream, Emit emit, size_t min_blocks = kBlocksPerChunk) {
  const size_t blocks = (n + 3) / 4;
  ComputePool::instance().parallel_for(blocks, min_blocks, [&](size_t, size_t begin, size_t end) {
    for (size_t b = begin; b < end; ++b) {
      const PhiloxBlock block = philox_block(seed, stream, b);
      const size_t first = b * 4;
      emit(block, first, n - first < 4 ? n - first : 4);
    }
  });
}

}  // namespace

void fill_random_bits(uint32_t* out, size_t n, uint64_t seed, uint64_t stream) {
  for_each_block(n, seed, stream, [&](const PhiloxBlock& block, size_t first, size_t count) {
    for (size_t j = 0; j < count; ++j) out[first + j] = block.v[j];
  });
}

void fill_uniform(float* out, size_t n, uint64_t seed, uint64_t stream, float low, float high) {
  const float span = high - low;
  for_each_block(n, seed, stream, [&](const PhiloxBlock& block, size_t first, size_t count) {
    for (size_t j = 0; j < count; ++j) out[first + j] = low + span * uniform_from_bits(block.v[j]);
  });
}

void fill_normal(float* out, size_t n, uint64_t seed, uint64_t stream, float mean, float stddev) {
  for_each_block(n, seed, stream, [&](const PhiloxBlock& block, size_t first, size_t count) {
    float z[4];
    normal_pair_from_bits(block.v[0], block.v[1], &z[0], &z[1]);
    normal_pair_from_bits(block.v[2], block.v[3], &z[2], &z[3]);
    for (size_t j = 0; j < count; ++j) out[first + j] = mean + stddev * z[j];
  }, kNormalBlocksPerChunk);
}

}  // namespace reckit
