// The Philox uniform fill. The arithmetic is the header shared with the CPU (core/philox.h), and the
// final scaling rounds the product and the sum separately as the CPU does, so a (seed, stream) gives the
// same bits on both backends.
#include "core/philox.h"
#include "cuda/cuda_common.h"

namespace {

constexpr unsigned kThreadsPerBlock = 256;

// One thread per Philox block of four words.
__global__ void philox_uniform_kernel(float* out, size_t n, uint64_t seed, uint64_t stream, float low, float span) {
  const size_t block = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t first = block * 4;
  if (first >= n) return;
  const reckit::PhiloxBlock bits = reckit::philox_block(seed, stream, block);
  for (size_t j = 0; j < 4 && first + j < n; ++j)
    out[first + j] = RECKIT_ADD_RN(low, RECKIT_MUL_RN(span, reckit::uniform_from_bits(bits.v[j])));
}

}  // namespace

RECKIT_CUDA_EXPORT int reckit_cuda_philox_uniform(float* host_out, size_t n, uint64_t seed, uint64_t stream, float low,
                                                  float high, char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    if (n == 0) return;
    DeviceBuffer<float> out(n);
    const size_t blocks = (n + 3) / 4;
    RECKIT_LAUNCH(philox_uniform_kernel, blocks_for(blocks, kThreadsPerBlock), kThreadsPerBlock, 0, nullptr,
                  out.get(), n, seed, stream, low, high - low);
    check_launch("philox_uniform_kernel");
    out.copy_to_host(host_out, n);
  });
}
