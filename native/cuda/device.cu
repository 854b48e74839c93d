// Device probing and the library's identity: the ABI version, how many devices there are (and why there
// are none), and which backend this build is (a GPU, or the emulator for tests).
#include <cstdio>

#include "cuda/cuda_common.h"

RECKIT_CUDA_EXPORT int reckit_cuda_abi_version(void) { return RECKIT_CUDA_ABI_VERSION; }

RECKIT_CUDA_EXPORT int reckit_cuda_probe(int* count, char* message, size_t message_size) {
  *count = 0;
  const cudaError_t err = cudaGetDeviceCount(count);
  if (err != cudaSuccess) {
    *count = 0;
    if (message && message_size)
      std::snprintf(message, message_size, "cudaGetDeviceCount failed: %s (%s)", cudaGetErrorString(err),
                    cudaGetErrorName(err));
    return RECKIT_CUDA_NO_DEVICE;
  }
  if (*count == 0) {
    if (message && message_size) std::snprintf(message, message_size, "the CUDA driver reports no devices");
    return RECKIT_CUDA_NO_DEVICE;
  }
  return RECKIT_CUDA_OK;
}

RECKIT_CUDA_EXPORT int reckit_cuda_describe(char* backend, size_t backend_size, char* device, size_t device_size) {
  if (backend && backend_size) std::snprintf(backend, backend_size, "%s", RECKIT_CUDA_BACKEND);
  cudaDeviceProp prop{};
  const cudaError_t err = cudaGetDeviceProperties(&prop, 0);
  if (device && device_size) {
    if (err == cudaSuccess)
      std::snprintf(device, device_size, "%s (compute capability %d.%d)", prop.name, prop.major, prop.minor);
    else
      std::snprintf(device, device_size, "none");
  }
  return err == cudaSuccess ? RECKIT_CUDA_OK : RECKIT_CUDA_NO_DEVICE;
}
