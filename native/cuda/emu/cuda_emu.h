// CUDA emulation for tests on machines without a GPU: the subset of the CUDA language and runtime our kernels
// use, so the same .cu sources compile with g++ (see cuda_compat.h and docs/cuda.md). It is for checking
// kernels, not for speed.
//
// Execution model. A launch runs its blocks one after another. A block's threads are real OS threads, but
// only one of them runs at a time: a thread runs until it reaches a barrier (__syncthreads, a warp
// collective) or exits, then a scheduler hands the turn to another runnable thread, picked by a seeded
// generator (RECKIT_CUDA_EMU_SEED). So every run of a kernel sees one fixed but scrambled interleaving:
// a missing barrier shows up as a wrong result, not as a flaky one, and a barrier some threads never reach
// is reported as a deadlock instead of hanging. Threads that exit stop counting at barriers, as on Volta+.
// Warp collectives (shuffles, votes, __syncwarp) expect every live lane of the warp: a collective under
// divergence is undefined on a GPU and a reported deadlock here.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

// ---- language keywords -------------------------------------------------------------------------
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// Blocks run one after another and one launch at a time, so function-static storage is block-shared storage.
#define __shared__ static

// ---- vector types and built-in variables ----------------------------------------------------------
struct uint3 {
  unsigned x, y, z;
};
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
  constexpr dim3(uint3 v) : x(v.x), y(v.y), z(v.z) {}
};
struct __align__(8) float2 {
  float x, y;
};
struct __align__(16) float4 {
  float x, y, z, w;
};
inline float2 make_float2(float x, float y) { return float2{x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return float4{x, y, z, w}; }

inline thread_local uint3 threadIdx{0, 0, 0};
inline thread_local uint3 blockIdx{0, 0, 0};
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;
constexpr int warpSize = 32;

// ---- runtime types -----------------------------------------------------------------------------
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInitializationError = 3,
  cudaErrorLaunchFailure = 4,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidDevicePointer = 17,
  cudaErrorInvalidMemcpyDirection = 21,
  cudaErrorInsufficientDriver = 35,
  cudaErrorNoDevice = 100,
  cudaErrorInvalidResourceHandle = 400,
};
using cudaError = cudaError_t;
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
struct CUstream_st;
struct CUevent_st;
using cudaStream_t = CUstream_st*;
using cudaEvent_t = CUevent_st*;
struct cudaDeviceProp {
  char name[256];
  size_t totalGlobalMem;
  size_t sharedMemPerBlock;
  int warpSize;
  int maxThreadsPerBlock;
  int multiProcessorCount;
  int major, minor;
};
#define cudaHostAllocDefault 0u
#define cudaStreamNonBlocking 1u

// ---- host API (runtime.cpp) --------------------------------------------------------------------
cudaError_t cudaGetDeviceCount(int* count);
cudaError_t cudaSetDevice(int device);
cudaError_t cudaGetDevice(int* device);
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorString(cudaError_t error);
const char* cudaGetErrorName(cudaError_t error);
cudaError_t cudaMalloc(void** pointer, size_t bytes);
cudaError_t cudaFree(void* pointer);
cudaError_t cudaMallocHost(void** pointer, size_t bytes);
cudaError_t cudaHostAlloc(void** pointer, size_t bytes, unsigned flags);
cudaError_t cudaFreeHost(void* pointer);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void* dst, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes);
cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaEventCreate(cudaEvent_t* event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream = nullptr);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end);
cudaError_t cudaEventDestroy(cudaEvent_t event);
template <class F>
cudaError_t cudaFuncSetAttribute(F* kernel, cudaFuncAttribute attribute, int value);

namespace reckit::emu {

// ---- the launcher ------------------------------------------------------------------------------
using KernelBody = void (*)(void* context);
cudaError_t set_dynamic_shared_limit(const void* kernel, int bytes);
// Runs body(context) once per thread of every block of the grid (see the execution model above).
cudaError_t run_launch(dim3 grid, dim3 block, size_t dynamic_shared_bytes, const void* kernel, KernelBody body,
                       void* context);

// Kernel arguments are converted to the parameter types once, on the launching thread, like a real launch.
template <class... P, class... A>
void launch(dim3 grid, dim3 block, size_t dynamic_shared_bytes, cudaStream_t, void (*kernel)(P...), A&&... args) {
  static_assert(sizeof...(P) == sizeof...(A), "kernel argument count");
  struct Context {
    void (*kernel)(P...);
    std::tuple<std::decay_t<P>...> params;
  } context{kernel, std::tuple<std::decay_t<P>...>(std::forward<A>(args)...)};
  run_launch(grid, block, dynamic_shared_bytes, reinterpret_cast<const void*>(kernel),
             [](void* c) {
               auto* ctx = static_cast<Context*>(c);
               std::apply(ctx->kernel, ctx->params);  // a copy of the parameters per thread
             },
             &context);
}

// The running block's dynamic shared memory (poisoned with 0xFF bytes at the start of every block).
void* dynamic_shared();

// Barriers and warp exchange, for the intrinsics below.
void sync_block();
void sync_warp();
unsigned lane_id();
unsigned live_lanes_mask();
// Publishes `bits` for this lane, waits for the warp, returns lane `source`'s value, waits again.
uint64_t exchange(uint64_t bits, unsigned source);
// Every live lane's predicate as a bit mask.
unsigned ballot(bool predicate);

template <class T>
uint64_t to_bits(T value) {
  static_assert(sizeof(T) <= 8 && std::is_trivially_copyable<T>::value, "shuffle of a type over 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof(T));
  return bits;
}
template <class T>
T from_bits(uint64_t bits) {
  T value;
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}

}  // namespace reckit::emu

template <class F>
cudaError_t cudaFuncSetAttribute(F* kernel, cudaFuncAttribute attribute, int value) {
  if (attribute != cudaFuncAttributeMaxDynamicSharedMemorySize) return cudaErrorInvalidValue;
  return reckit::emu::set_dynamic_shared_limit(reinterpret_cast<const void*>(kernel), value);
}

// ---- device intrinsics -------------------------------------------------------------------------
inline void __syncthreads() { reckit::emu::sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { reckit::emu::sync_warp(); }
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline unsigned __activemask() { return reckit::emu::live_lanes_mask(); }

template <class T>
T __shfl_sync(unsigned, T value, int source_lane, int width = warpSize) {
  const unsigned lane = reckit::emu::lane_id();
  const unsigned base = lane & ~static_cast<unsigned>(width - 1);
  const unsigned source = base + (static_cast<unsigned>(source_lane) & static_cast<unsigned>(width - 1));
  return reckit::emu::from_bits<T>(reckit::emu::exchange(reckit::emu::to_bits(value), source));
}
template <class T>
T __shfl_down_sync(unsigned, T value, unsigned delta, int width = warpSize) {
  const unsigned lane = reckit::emu::lane_id();
  const unsigned base = lane & ~static_cast<unsigned>(width - 1);
  const unsigned source = lane + delta < base + static_cast<unsigned>(width) ? lane + delta : lane;
  return reckit::emu::from_bits<T>(reckit::emu::exchange(reckit::emu::to_bits(value), source));
}
template <class T>
T __shfl_up_sync(unsigned, T value, unsigned delta, int width = warpSize) {
  const unsigned lane = reckit::emu::lane_id();
  const unsigned base = lane & ~static_cast<unsigned>(width - 1);
  const unsigned source = lane >= base + delta ? lane - delta : lane;
  return reckit::emu::from_bits<T>(reckit::emu::exchange(reckit::emu::to_bits(value), source));
}
template <class T>
T __shfl_xor_sync(unsigned, T value, int lane_mask, int width = warpSize) {
  const unsigned lane = reckit::emu::lane_id();
  const unsigned base = lane & ~static_cast<unsigned>(width - 1);
  const unsigned other = lane ^ static_cast<unsigned>(lane_mask);
  const unsigned source = other >= base && other < base + static_cast<unsigned>(width) ? other : lane;
  return reckit::emu::from_bits<T>(reckit::emu::exchange(reckit::emu::to_bits(value), source));
}
inline unsigned __ballot_sync(unsigned, int predicate) { return reckit::emu::ballot(predicate != 0); }
inline int __any_sync(unsigned, int predicate) { return reckit::emu::ballot(predicate != 0) != 0; }
inline int __all_sync(unsigned, int predicate) {
  return reckit::emu::ballot(predicate != 0) == reckit::emu::ballot(true);
}

// Atomics. Only one emulated thread runs at a time, but use real atomics anyway: they cost nothing here
// and keep the harness honest if the scheduler ever runs threads in parallel.
template <class T>
T __reckit_atomic_update(T* address, T (*update)(T, T), T operand) {
  T old = __atomic_load_n(address, __ATOMIC_SEQ_CST);
  while (!__atomic_compare_exchange_n(address, &old, update(old, operand), false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
  }
  return old;
}
inline float atomicAdd(float* address, float value) {
  uint32_t* bits = reinterpret_cast<uint32_t*>(address);
  uint32_t old = __atomic_load_n(bits, __ATOMIC_SEQ_CST);
  for (;;) {
    float f;
    std::memcpy(&f, &old, 4);
    f += value;
    uint32_t desired;
    std::memcpy(&desired, &f, 4);
    if (__atomic_compare_exchange_n(bits, &old, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
      std::memcpy(&f, &old, 4);
      return f;
    }
  }
}
inline int atomicAdd(int* address, int value) { return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST); }
inline unsigned atomicAdd(unsigned* address, unsigned value) {
  return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST);
}
inline unsigned long long atomicAdd(unsigned long long* address, unsigned long long value) {
  return __atomic_fetch_add(address, value, __ATOMIC_SEQ_CST);
}
inline int atomicMax(int* address, int value) {
  return __reckit_atomic_update<int>(address, [](int a, int b) { return a > b ? a : b; }, value);
}
inline int atomicMin(int* address, int value) {
  return __reckit_atomic_update<int>(address, [](int a, int b) { return a < b ? a : b; }, value);
}
inline unsigned atomicMax(unsigned* address, unsigned value) {
  return __reckit_atomic_update<unsigned>(address, [](unsigned a, unsigned b) { return a > b ? a : b; }, value);
}
inline unsigned atomicMin(unsigned* address, unsigned value) {
  return __reckit_atomic_update<unsigned>(address, [](unsigned a, unsigned b) { return a < b ? a : b; }, value);
}
inline int atomicExch(int* address, int value) { return __atomic_exchange_n(address, value, __ATOMIC_SEQ_CST); }
inline unsigned atomicExch(unsigned* address, unsigned value) {
  return __atomic_exchange_n(address, value, __ATOMIC_SEQ_CST);
}
inline int atomicCAS(int* address, int compare, int value) {
  __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return compare;
}
inline unsigned atomicCAS(unsigned* address, unsigned compare, unsigned value) {
  __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return compare;
}
inline unsigned long long atomicCAS(unsigned long long* address, unsigned long long compare,
                                    unsigned long long value) {
  __atomic_compare_exchange_n(address, &compare, value, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return compare;
}

// Bit and float intrinsics.
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz(static_cast<unsigned>(x)); }
inline unsigned __float_as_uint(float x) {
  unsigned u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline float __uint_as_float(unsigned u) {
  float x;
  std::memcpy(&x, &u, 4);
  return x;
}
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float __fdividef(float a, float b) { return a / b; }
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
template <class T>
T __ldg(const T* p) {
  return *p;
}
