// Shared by the .cu files of reckit_cuda: CUDA errors turned into the ABI's status codes and messages,
// device buffers that free themselves, and the entry-point guard that keeps C++ exceptions inside the
// library. Compiles with nvcc and with the emulator (cuda_compat.h).
#pragma once
#include <cstdio>
#include <new>
#include <string>

#include "cuda/cuda_abi.h"
#include "cuda/cuda_compat.h"

namespace reckit::cuda {

struct Failure {
  int status;
  std::string message;
};

inline int status_of(cudaError_t err) {
  switch (err) {
    case cudaErrorInsufficientDriver:
    case cudaErrorNoDevice:
    case cudaErrorInitializationError: return RECKIT_CUDA_NO_DEVICE;
    case cudaErrorMemoryAllocation: return RECKIT_CUDA_OUT_OF_MEMORY;
    default: return RECKIT_CUDA_FAILED;
  }
}

// Throws a Failure naming `what` when err is not cudaSuccess. The runtime also records the error as the
// thread's last error; it is cleared here, or the next launch's check would report it again.
inline void check(cudaError_t err, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();
  throw Failure{status_of(err), std::string(what) + ": " + cudaGetErrorString(err) + " (" + cudaGetErrorName(err) + ")"};
}

// After a launch: a bad configuration shows up here, a fault in the kernel at the next synchronizing call.
inline void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

inline void invalid(const std::string& message) { throw Failure{RECKIT_CUDA_INVALID, message}; }

// Runs an entry point's body; returns its status and writes the failure's message.
template <class F>
int guard(char* message, size_t message_size, F&& body) {
  try {
    body();
    return RECKIT_CUDA_OK;
  } catch (const Failure& f) {
    if (message && message_size) std::snprintf(message, message_size, "%s", f.message.c_str());
    return f.status;
  } catch (const std::bad_alloc&) {
    if (message && message_size) std::snprintf(message, message_size, "host allocation failed");
    return RECKIT_CUDA_OUT_OF_MEMORY;
  }
}

// A device allocation of n elements, freed on scope exit.
template <class T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t n, const char* what = "cudaMalloc") : n_(n) {
    if (n) check(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)), what);
  }
  DeviceBuffer(const T* host, size_t n, const char* what = "cudaMalloc") : DeviceBuffer(n, what) {
    if (n) check(cudaMemcpy(data_, host, n * sizeof(T), cudaMemcpyHostToDevice), "copy to device");
  }
  ~DeviceBuffer() {
    if (data_) cudaFree(data_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return data_; }
  size_t size() const { return n_; }
  void copy_to_host(T* host, size_t n) const {
    if (n) check(cudaMemcpy(host, data_, n * sizeof(T), cudaMemcpyDeviceToHost), "copy to host");
  }

 private:
  T* data_ = nullptr;
  size_t n_ = 0;
};

inline unsigned blocks_for(size_t n, unsigned per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

}  // namespace reckit::cuda
