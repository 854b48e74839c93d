// First CUDA kernels: device probing and the Philox uniform fill. The arithmetic is the header shared
// with the CPU (core/philox.h), so a (seed, stream) gives the same bits on both backends.
#include <cuda_runtime.h>

#include <cstdio>

#include "core/philox.h"
#include "cuda/cuda_abi.h"

namespace {

constexpr int kThreadsPerBlock = 256;

void write_message(char* message, size_t size, const char* what, cudaError_t err) {
  if (message && size) std::snprintf(message, size, "%s: %s (%s)", what, cudaGetErrorString(err), cudaGetErrorName(err));
}

int status_of(cudaError_t err) {
  switch (err) {
    case cudaErrorInsufficientDriver:
    case cudaErrorNoDevice:
    case cudaErrorInitializationError: return RECKIT_CUDA_NO_DEVICE;
    case cudaErrorMemoryAllocation: return RECKIT_CUDA_OUT_OF_MEMORY;
    default: return RECKIT_CUDA_FAILED;
  }
}

__global__ void philox_uniform_kernel(float* out, size_t n, uint64_t seed, uint64_t stream, float low, float span) {
  const size_t block = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t first = block * 4;
  if (first >= n) return;
  const reckit::PhiloxBlock bits = reckit::philox_block(seed, stream, block);
  for (size_t j = 0; j < 4 && first + j < n; ++j) out[first + j] = low + span * reckit::uniform_from_bits(bits.v[j]);
}

}  // namespace

RECKIT_CUDA_EXPORT int reckit_cuda_abi_version(void) { return RECKIT_CUDA_ABI_VERSION; }

RECKIT_CUDA_EXPORT int reckit_cuda_probe(int* count, char* message, size_t message_size) {
  *count = 0;
  const cudaError_t err = cudaGetDeviceCount(count);
  if (err != cudaSuccess) {
    *count = 0;
    write_message(message, message_size, "cudaGetDeviceCount failed", err);
    return status_of(err) == RECKIT_CUDA_FAILED ? RECKIT_CUDA_NO_DEVICE : status_of(err);
  }
  if (*count == 0) {
    if (message && message_size) std::snprintf(message, message_size, "the CUDA driver reports no devices");
    return RECKIT_CUDA_NO_DEVICE;
  }
  return RECKIT_CUDA_OK;
}

RECKIT_CUDA_EXPORT int reckit_cuda_philox_uniform(float* host_out, size_t n, uint64_t seed, uint64_t stream, float low,
                                                  float high, char* message, size_t message_size) {
  if (n == 0) return RECKIT_CUDA_OK;
  float* device_out = nullptr;
  cudaError_t err = cudaMalloc(&device_out, n * sizeof(float));
  if (err != cudaSuccess) {
    write_message(message, message_size, "cudaMalloc", err);
    return status_of(err);
  }
  const size_t blocks = (n + 3) / 4;
  const unsigned grid = static_cast<unsigned>((blocks + kThreadsPerBlock - 1) / kThreadsPerBlock);
  philox_uniform_kernel<<<grid, kThreadsPerBlock>>>(device_out, n, seed, stream, low, high - low);
  err = cudaGetLastError();
  if (err == cudaSuccess) err = cudaMemcpy(host_out, device_out, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(device_out);
  if (err != cudaSuccess) {
    write_message(message, message_size, "philox_uniform_kernel", err);
    return status_of(err);
  }
  return RECKIT_CUDA_OK;
}
