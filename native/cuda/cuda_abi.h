/* The C ABI between the addon and the optional reckit_cuda library (dlopen'ed at run time).
 * Plain C types only, every function reports failure through its return value and a message
 * buffer: no C++ exceptions or CUDA types cross the library boundary. Bump the version on any change. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define RECKIT_CUDA_ABI_VERSION 1

#if defined(RECKIT_CUDA_LIBRARY_BUILD)
#define RECKIT_CUDA_EXPORT extern "C" __attribute__((visibility("default")))
#else
#define RECKIT_CUDA_EXPORT extern "C"
#endif

/* Status codes returned by every entry point. */
enum reckit_cuda_status {
  RECKIT_CUDA_OK = 0,
  RECKIT_CUDA_NO_DEVICE = 1,     /* no driver, driver too old, or zero devices: see the message */
  RECKIT_CUDA_OUT_OF_MEMORY = 2, /* a device or pinned allocation failed */
  RECKIT_CUDA_FAILED = 3         /* any other CUDA error: see the message */
};

typedef int (*reckit_cuda_abi_version_fn)(void);
/* Number of usable devices in *count; on RECKIT_CUDA_NO_DEVICE the message says why. */
typedef int (*reckit_cuda_probe_fn)(int* count, char* message, size_t message_size);
/* Uniform floats in [low, high) from Philox (seed, stream), computed on device 0, copied to host_out. */
typedef int (*reckit_cuda_philox_uniform_fn)(float* host_out, size_t n, uint64_t seed, uint64_t stream, float low,
                                             float high, char* message, size_t message_size);
