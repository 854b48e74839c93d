// Self-test of the CUDA emulator (built only with it): barriers, shared and dynamic shared memory, warp
// shuffles and votes, atomics, early exits, launch errors, and that a missing __syncthreads is seen.
// Prints "ok <name>" or "FAIL <name>: why" per check and exits non-zero on any failure. With the argument
// `deadlock` it runs a kernel whose __syncthreads sits under divergence: the emulator must abort with a report.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cuda/cuda_compat.h"

namespace {

int failures = 0;

void check(bool ok, const char* name, const std::string& why = "") {
  if (ok) {
    std::printf("ok %s\n", name);
  } else {
    ++failures;
    std::printf("FAIL %s: %s\n", name, why.c_str());
  }
}

template <class T>
std::vector<T> run_1d(void (*kernel)(T*, int), int n, dim3 grid, dim3 block, size_t shared = 0) {
  T* device = nullptr;
  cudaMalloc(reinterpret_cast<void**>(&device), sizeof(T) * n);
  cudaMemset(device, 0, sizeof(T) * n);
  RECKIT_LAUNCH(kernel, grid, block, shared, nullptr, device, n);
  std::vector<T> host(n);
  cudaMemcpy(host.data(), device, sizeof(T) * n, cudaMemcpyDeviceToHost);
  cudaFree(device);
  return host;
}

// Tree reduction in shared memory: out[block] = sum of the block's global thread ids.
template <bool kSync>
__global__ void block_sum(int* out, int n) {
  __shared__ int partial[256];
  const int t = threadIdx.x;
  partial[t] = blockIdx.x * blockDim.x + t;
  __syncthreads();
  for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
    if (t < stride) partial[t] += partial[t + stride];
    if (kSync) __syncthreads();
  }
  if (t == 0 && static_cast<int>(blockIdx.x) < n) out[blockIdx.x] = partial[0];
}

// The barrier is reusable: 50 rounds of write, sync, read a neighbour's slot, sync.
__global__ void rotating_barrier(int* out, int n) {
  __shared__ int slot[128];
  const int t = threadIdx.x;
  int acc = 0;
  for (int round = 0; round < 50; ++round) {
    slot[t] = round * 1000 + t;
    __syncthreads();
    acc += slot[(t + 1) % blockDim.x] - round * 1000;
    __syncthreads();
  }
  if (t < n) out[t] = acc;
}

__global__ void shuffles(int* out, int n) {
  const int t = threadIdx.x;
  const int lane = t % 32;
  int sum = t;
  for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_down_sync(0xffffffffu, sum, offset);
  int butterfly = t;
  for (int mask = 16; mask > 0; mask /= 2) butterfly += __shfl_xor_sync(0xffffffffu, butterfly, mask);
  const int broadcast = __shfl_sync(0xffffffffu, t * 3, 5);
  int scan = 1;
  for (int offset = 1; offset < 32; offset *= 2) {
    const int up = __shfl_up_sync(0xffffffffu, scan, offset);
    if (lane >= offset) scan += up;
  }
  const int half = __shfl_xor_sync(0xffffffffu, t, 8, 16);  // width 16: stays inside the half warp
  const unsigned even = __ballot_sync(0xffffffffu, t % 2 == 0);
  const int any = __any_sync(0xffffffffu, t == 3);
  const int all = __all_sync(0xffffffffu, t >= 0);
  const int row = t * 7;
  if (row + 6 < n) {
    out[row] = lane == 0 ? sum : -1;
    out[row + 1] = butterfly;
    out[row + 2] = broadcast;
    out[row + 3] = scan;
    out[row + 4] = half;
    out[row + 5] = static_cast<int>(even);
    out[row + 6] = any * 2 + all;
  }
}

__global__ void atomics(int* out, int n) {
  const int gid = blockIdx.x * blockDim.x + threadIdx.x;
  atomicAdd(&out[0], 1);
  atomicMax(&out[1], gid);
  atomicAdd(reinterpret_cast<float*>(&out[2]), 0.5f);
  int seen = out[3];  // a CAS loop: increment by 2
  for (;;) {
    const int prior = atomicCAS(&out[3], seen, seen + 2);
    if (prior == seen) break;
    seen = prior;
  }
}

// Dynamic shared memory: reverse the block's values through it.
__global__ void reverse_dynamic(float* out, int n) {
  RECKIT_DYNAMIC_SHARED(float, buffer);
  const int t = threadIdx.x;
  buffer[t] = static_cast<float>(blockIdx.x * 1000 + t);
  __syncthreads();
  const int gid = blockIdx.x * blockDim.x + t;
  if (gid < n) out[gid] = buffer[blockDim.x - 1 - t];
}

// Threads that return early no longer count at barriers (a partial last block in real kernels).
__global__ void early_exit(int* out, int n) {
  __shared__ int total;
  const int t = threadIdx.x;
  if (t == 0) total = 0;
  __syncthreads();
  if (t >= n) return;
  atomicAdd(&total, 1);
  __syncthreads();
  out[t] = total;
}

// Half of each warp waits at the block barrier, the other half at a warp barrier: neither can complete.
__global__ void write_one_past(int* out, int n) { out[threadIdx.x] = 1; }

__global__ void divergent_sync(int* out, int n) {
  if (threadIdx.x % 2 == 0) __syncthreads();
  else __syncwarp();
  out[threadIdx.x % n] = 1;
}

void test_block_sum() {
  const int blocks = 5;
  const std::vector<int> good = run_1d<int>(block_sum<true>, blocks, blocks, 256);
  bool ok = true;
  for (int b = 0; b < blocks; ++b) ok &= good[b] == 256 * b * 256 + 255 * 256 / 2;
  check(ok, "shared-memory tree reduction with __syncthreads");
  const std::vector<int> bad = run_1d<int>(block_sum<false>, blocks, blocks, 256);
  bool wrong = false;
  for (int b = 0; b < blocks; ++b) wrong |= bad[b] != good[b];
  check(wrong, "the same reduction without __syncthreads gives a wrong sum (the scheduler exposes the race)");
}

void test_barrier() {
  const std::vector<int> out = run_1d<int>(rotating_barrier, 100, 1, 100);
  bool ok = true;
  for (int t = 0; t < 100; ++t) ok &= out[t] == 50 * ((t + 1) % 100);
  check(ok, "reusable barrier over 100 rounds (100 threads: a partial last warp)");
}

void test_shuffles() {
  const int threads = 64;
  const std::vector<int> out = run_1d<int>(shuffles, threads * 7, 1, threads);
  bool ok = true;
  std::string why;
  for (int t = 0; t < threads; ++t) {
    const int lane = t % 32, warp = t / 32;
    const int* r = &out[t * 7];
    const int warp_sum = 32 * warp * 32 + 31 * 32 / 2;
    const int expect[7] = {lane == 0 ? warp_sum : -1, warp_sum, (warp * 32 + 5) * 3, lane + 1, t ^ 8,
                           static_cast<int>(0x55555555u), (warp == 0 ? 2 : 0) + 1};
    for (int j = 0; j < 7; ++j)
      if (r[j] != expect[j] && ok) {
        ok = false;
        why = "thread " + std::to_string(t) + " value " + std::to_string(j) + ": " + std::to_string(r[j]) +
              " != " + std::to_string(expect[j]);
      }
  }
  check(ok, "warp shuffles (down, xor, idx, up, width 16), ballot, any, all", why);
}

void test_atomics() {
  const std::vector<int> out = run_1d<int>(atomics, 4, 3, 96);
  float half_sum;
  std::memcpy(&half_sum, &out[2], 4);
  check(out[0] == 288 && out[1] == 287 && half_sum == 144.0f && out[3] == 576, "atomicAdd/Max/CAS, float atomicAdd");
}

void test_dynamic_shared() {
  const int n = 3 * 64;
  const std::vector<float> out = run_1d<float>(reverse_dynamic, n, 3, 64, 64 * sizeof(float));
  bool ok = true;
  for (int i = 0; i < n; ++i) ok &= out[i] == static_cast<float>((i / 64) * 1000 + 63 - i % 64);
  check(ok, "dynamic shared memory");
}

void test_early_exit() {
  const std::vector<int> out = run_1d<int>(early_exit, 37, 1, 64);
  bool ok = true;
  for (int t = 0; t < 37; ++t) ok &= out[t] == 37;
  check(ok, "threads that exit early do not block __syncthreads");
}

void test_launch_errors() {
  int* device = nullptr;
  cudaMalloc(reinterpret_cast<void**>(&device), 4);
  cudaGetLastError();
  RECKIT_LAUNCH(early_exit, 1, 2048, 0, nullptr, device, 1);
  const cudaError_t too_big = cudaGetLastError();
  RECKIT_LAUNCH(reverse_dynamic, 1, 32, 64 * 1024, nullptr, reinterpret_cast<float*>(device), 1);
  const cudaError_t too_much_shared = cudaGetLastError();
  std::vector<int> host(2);
  const cudaError_t overrun = cudaMemcpy(host.data(), device, 8, cudaMemcpyDeviceToHost);
  cudaFree(device);
  check(too_big == cudaErrorInvalidConfiguration && too_much_shared == cudaErrorInvalidValue &&
            overrun == cudaErrorInvalidDevicePointer,
        "bad launches and a copy past an allocation are errors");
  setenv("RECKIT_CUDA_EMU_MEMORY_LIMIT", "4096", 1);
  void* a = nullptr;
  void* b = nullptr;
  const cudaError_t first = cudaMalloc(&a, 3000);
  const cudaError_t second = cudaMalloc(&b, 3000);
  cudaFree(a);
  unsetenv("RECKIT_CUDA_EMU_MEMORY_LIMIT");
  check(first == cudaSuccess && second == cudaErrorMemoryAllocation && b == nullptr,
        "RECKIT_CUDA_EMU_MEMORY_LIMIT makes cudaMalloc run out of memory");
}

void test_red_zone() {
  int* device = nullptr;
  cudaMalloc(reinterpret_cast<void**>(&device), 31 * sizeof(int));
  cudaGetLastError();
  RECKIT_LAUNCH(write_one_past, 1, 32, 0, nullptr, device, 31);
  const cudaError_t err = cudaGetLastError();
  cudaFree(device);
  check(err == cudaErrorLaunchFailure, "a kernel writing one element past an allocation fails its launch");
}

void test_poison() {
  float* device = nullptr;
  cudaMalloc(reinterpret_cast<void**>(&device), 8);
  float host[2];
  cudaMemcpy(host, device, 8, cudaMemcpyDeviceToHost);
  cudaFree(device);
  check(std::isnan(host[0]) && std::isnan(host[1]), "fresh device memory reads as NaN");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "deadlock") == 0) {
    std::vector<int> out = run_1d<int>(divergent_sync, 64, 1, 64);
    std::printf("no deadlock reported\n");
    return 0;
  }
  test_block_sum();
  test_barrier();
  test_shuffles();
  test_atomics();
  test_dynamic_shared();
  test_early_exit();
  test_launch_errors();
  test_poison();
  test_red_zone();
  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
