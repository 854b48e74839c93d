// The CUDA emulator's runtime: the cooperative block scheduler behind launches, barriers and warp
// collectives, and the host API (device memory, copies, streams, events) mapped onto the CPU.
// See cuda_emu.h for the execution model.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cuda/emu/cuda_emu.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace reckit::emu {
namespace {

constexpr unsigned kWarp = 32;
constexpr unsigned kMaxThreadsPerBlock = 1024;
constexpr size_t kDefaultDynamicShared = 48 * 1024;
constexpr size_t kMaxDynamicShared = 227 * 1024;  // sm_90's opt-in limit
constexpr unsigned char kPoison = 0xFF;          // NaN as float, -1 as integers
// The slack after each allocation holds the poison too, so a kernel reading past the end reads NaNs, and
// one writing past the end changes bytes that are checked after every launch.
constexpr unsigned char kRedZone = kPoison;
constexpr size_t kRedZoneBytes = 256;

thread_local cudaError_t last_error = cudaSuccess;

cudaError_t record(cudaError_t error) {
  if (error != cudaSuccess) last_error = error;
  return error;
}

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  return std::strtoull(text, nullptr, 0);
}

// A one-shot wake-up for one waiter: post() lets wait() return once. On Linux a futex word, so a handoff
// costs one wake and one wait; elsewhere a mutex and condition variable.
class Gate {
 public:
  void post() {
#if defined(__linux__)
    open_.store(1, std::memory_order_release);
    syscall(SYS_futex, reinterpret_cast<int*>(&open_), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
#else
    std::lock_guard<std::mutex> lock(mutex_);
    open_.store(1, std::memory_order_release);
    cv_.notify_one();
#endif
  }
  void wait() {
#if defined(__linux__)
    while (open_.exchange(0, std::memory_order_acquire) == 0)
      syscall(SYS_futex, reinterpret_cast<int*>(&open_), FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
#else
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return open_.load(std::memory_order_acquire) == 1; });
    open_.store(0, std::memory_order_relaxed);
#endif
  }

 private:
  std::atomic<int> open_{0};
#if !defined(__linux__)
  std::mutex mutex_;
  std::condition_variable cv_;
#endif
};

// A barrier of the cooperative scheduler: who waits, and how many live threads it takes to release.
struct Barrier {
  unsigned expected = 0;
  std::vector<unsigned> waiting;
};

struct Worker {
  Gate gate;
  bool exited = false;
};

// The scheduling state of a launch. Exactly one thread holds the turn at any time (a worker, or the
// controller between blocks) and only the holder touches this state; the gates order the handoffs, so no
// lock is needed.
struct LaunchState {
  Gate controller;
  dim3 grid, block;
  uint3 block_index{0, 0, 0};
  unsigned threads = 0;
  std::unique_ptr<Worker[]> workers;
  std::vector<unsigned> runnable;
  Barrier block_barrier;
  std::vector<Barrier> warp_barriers;
  std::vector<uint64_t> slots;  // one exchange word per thread
  unsigned live = 0;
  bool stop = false;
  uint64_t rng = 0;
  std::vector<unsigned char> dynamic_shared;
  KernelBody body = nullptr;
  void* context = nullptr;

  unsigned warp_of(unsigned tid) const { return tid / kWarp; }
  unsigned warp_size(unsigned warp) const {
    const unsigned first = warp * kWarp;
    return threads - first < kWarp ? threads - first : kWarp;
  }
  uint64_t next_random() {  // splitmix64
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
};

thread_local LaunchState* current = nullptr;
thread_local unsigned current_tid = 0;
std::mutex launch_mutex;  // one launch at a time: __shared__ variables are function statics

[[noreturn]] void deadlock(LaunchState& s) {
  std::fprintf(stderr,
               "reckit CUDA emulator: deadlock in block (%u,%u,%u) of a %ux%ux%u grid: %u live thread(s) wait at a "
               "barrier that not every live thread reaches (a __syncthreads or warp collective under divergence)\n",
               s.block_index.x, s.block_index.y, s.block_index.z, s.grid.x, s.grid.y, s.grid.z, s.live);
  std::abort();
}

// Passes the turn to a runnable thread picked at random, or back to the controller when the block is done.
// The caller gives up the turn: it must touch no state after this.
void pass_turn(LaunchState& s) {
  if (s.runnable.empty()) {
    if (s.live == 0) {
      s.controller.post();
      return;
    }
    deadlock(s);
  }
  const size_t pick = static_cast<size_t>(s.next_random() % s.runnable.size());
  const unsigned tid = s.runnable[pick];
  s.runnable[pick] = s.runnable.back();
  s.runnable.pop_back();
  s.workers[tid].gate.post();
}

void release_if_complete(LaunchState& s, Barrier& b) {
  if (!b.waiting.empty() && b.waiting.size() == b.expected) {
    for (unsigned tid : b.waiting) s.runnable.push_back(tid);
    b.waiting.clear();
  }
}

void arrive_and_wait(Barrier& b) {
  LaunchState& s = *current;
  const unsigned me = current_tid;
  b.waiting.push_back(me);
  release_if_complete(s, b);
  pass_turn(s);
  s.workers[me].gate.wait();
}

void thread_exits(LaunchState& s, unsigned tid) {
  s.workers[tid].exited = true;
  --s.live;
  --s.block_barrier.expected;
  Barrier& warp = s.warp_barriers[s.warp_of(tid)];
  --warp.expected;
  release_if_complete(s, s.block_barrier);
  release_if_complete(s, warp);
  pass_turn(s);
}

void worker_main(LaunchState* s, unsigned tid) {
  current = s;
  current_tid = tid;
  threadIdx = uint3{tid % s->block.x, (tid / s->block.x) % s->block.y, tid / (s->block.x * s->block.y)};
  blockDim = s->block;
  gridDim = s->grid;
  for (;;) {
    s->workers[tid].gate.wait();
    if (s->stop) return;
    blockIdx = s->block_index;
    s->body(s->context);
    thread_exits(*s, tid);
  }
}

// Runs one block to completion: every thread starts runnable; the controller waits until the last exits.
void run_block(LaunchState& s, uint3 index) {
  s.block_index = index;
  s.live = s.threads;
  s.runnable.clear();
  for (unsigned t = 0; t < s.threads; ++t) {
    s.workers[t].exited = false;
    s.runnable.push_back(t);
  }
  s.block_barrier.expected = s.threads;
  s.block_barrier.waiting.clear();
  for (unsigned w = 0; w < s.warp_barriers.size(); ++w) {
    s.warp_barriers[w].expected = s.warp_size(w);
    s.warp_barriers[w].waiting.clear();
  }
  std::fill(s.dynamic_shared.begin(), s.dynamic_shared.end(), kPoison);
  pass_turn(s);
  s.controller.wait();
}

std::mutex attribute_mutex;
std::map<const void*, size_t>& dynamic_limits() {
  static auto* limits = new std::map<const void*, size_t>();  // never destroyed: may be used at exit
  return *limits;
}

// ---- device memory bookkeeping ----
struct Memory {
  std::mutex mutex;
  std::map<uintptr_t, size_t> blocks;  // start -> bytes
  size_t in_use = 0;
};
Memory& memory() {
  static auto* m = new Memory();
  return *m;
}

size_t padded(size_t bytes) { return (bytes + 255) / 256 * 256 + kRedZoneBytes; }

// After a launch: a kernel that wrote past the end of an allocation has changed its red zone.
bool red_zones_intact() {
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  bool intact = true;
  for (auto& [start, bytes] : m.blocks) {
    const unsigned char* p = reinterpret_cast<const unsigned char*>(start);
    for (size_t i = bytes; i < padded(bytes); ++i) {
      if (p[i] != kRedZone) {
        std::fprintf(stderr,
                     "reckit CUDA emulator: a kernel wrote past the end of a %zu-byte device allocation (byte %zu)\n",
                     bytes, i);
        std::memset(const_cast<unsigned char*>(p) + bytes, kRedZone, padded(bytes) - bytes);
        intact = false;
        break;
      }
    }
  }
  return intact;
}

// True when [p, p + bytes) lies inside one live device allocation.
bool is_device_range(const void* p, size_t bytes) {
  Memory& m = memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  const uintptr_t start = reinterpret_cast<uintptr_t>(p);
  auto it = m.blocks.upper_bound(start);
  if (it == m.blocks.begin()) return false;
  --it;
  return start >= it->first && start + bytes <= it->first + it->second;
}

}  // namespace

cudaError_t set_dynamic_shared_limit(const void* kernel, int bytes) {
  if (bytes < 0 || static_cast<size_t>(bytes) > kMaxDynamicShared) return record(cudaErrorInvalidValue);
  std::lock_guard<std::mutex> lock(attribute_mutex);
  dynamic_limits()[kernel] = static_cast<size_t>(bytes);
  return cudaSuccess;
}

cudaError_t run_launch(dim3 grid, dim3 block, size_t dynamic_shared_bytes, const void* kernel, KernelBody body,
                       void* context) {
  const uint64_t threads = static_cast<uint64_t>(block.x) * block.y * block.z;
  if (threads == 0 || threads > kMaxThreadsPerBlock || block.z > 64 || grid.x == 0 || grid.y == 0 || grid.z == 0 ||
      grid.y > 65535 || grid.z > 65535)
    return record(cudaErrorInvalidConfiguration);
  size_t limit = kDefaultDynamicShared;
  {
    std::lock_guard<std::mutex> lock(attribute_mutex);
    auto it = dynamic_limits().find(kernel);
    if (it != dynamic_limits().end()) limit = it->second;
  }
  if (dynamic_shared_bytes > limit) return record(cudaErrorInvalidValue);

  std::lock_guard<std::mutex> one_launch(launch_mutex);
  LaunchState s;
  s.grid = grid;
  s.block = block;
  s.threads = static_cast<unsigned>(threads);
  s.workers.reset(new Worker[s.threads]);
  s.warp_barriers.resize((s.threads + kWarp - 1) / kWarp);
  s.slots.assign(s.threads, 0);
  s.dynamic_shared.resize(dynamic_shared_bytes);
  s.rng = env_u64("RECKIT_CUDA_EMU_SEED", 0x5EEDu);
  s.body = body;
  s.context = context;
  std::vector<std::thread> pool;
  pool.reserve(s.threads);
  for (unsigned t = 0; t < s.threads; ++t) pool.emplace_back(worker_main, &s, t);
  for (unsigned z = 0; z < grid.z; ++z)
    for (unsigned y = 0; y < grid.y; ++y)
      for (unsigned x = 0; x < grid.x; ++x) run_block(s, uint3{x, y, z});
  s.stop = true;
  for (unsigned t = 0; t < s.threads; ++t) s.workers[t].gate.post();
  for (std::thread& t : pool) t.join();
  return red_zones_intact() ? cudaSuccess : record(cudaErrorLaunchFailure);
}

void* dynamic_shared() { return current->dynamic_shared.empty() ? nullptr : current->dynamic_shared.data(); }

void sync_block() { arrive_and_wait(current->block_barrier); }

void sync_warp() { arrive_and_wait(current->warp_barriers[current->warp_of(current_tid)]); }

unsigned lane_id() { return current_tid % kWarp; }

unsigned live_lanes_mask() {
  LaunchState& s = *current;
  const unsigned warp = s.warp_of(current_tid);
  unsigned mask = 0;
  for (unsigned lane = 0; lane < s.warp_size(warp); ++lane)
    if (!s.workers[warp * kWarp + lane].exited) mask |= 1u << lane;
  return mask;
}

uint64_t exchange(uint64_t bits, unsigned source) {
  LaunchState& s = *current;
  const unsigned warp = s.warp_of(current_tid);
  s.slots[current_tid] = bits;
  sync_warp();
  const uint64_t value = source < s.warp_size(warp) ? s.slots[warp * kWarp + source] : bits;
  sync_warp();  // nobody overwrites a slot before every lane has read
  return value;
}

unsigned ballot(bool predicate) {
  LaunchState& s = *current;
  const unsigned warp = s.warp_of(current_tid);
  s.slots[current_tid] = predicate ? 1 : 0;
  sync_warp();
  unsigned mask = 0;
  for (unsigned lane = 0; lane < s.warp_size(warp); ++lane) {
    const unsigned tid = warp * kWarp + lane;
    if (!s.workers[tid].exited && s.slots[tid]) mask |= 1u << lane;
  }
  sync_warp();
  return mask;
}

}  // namespace reckit::emu

using reckit::emu::record;

// ---- host API ----------------------------------------------------------------------------------
struct CUstream_st {
  int unused;
};
struct CUevent_st {
  std::chrono::steady_clock::time_point when;
};

cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) { return device == 0 ? cudaSuccess : record(cudaErrorInvalidValue); }
cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return record(cudaErrorInvalidValue);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "reckit CUDA emulator (CPU threads, no GPU)");
  prop->totalGlobalMem = reckit::emu::env_u64("RECKIT_CUDA_EMU_MEMORY_LIMIT", 1ull << 40);
  prop->sharedMemPerBlock = reckit::emu::kDefaultDynamicShared;
  prop->warpSize = 32;
  prop->maxThreadsPerBlock = 1024;
  prop->multiProcessorCount = 1;
  prop->major = 0;
  prop->minor = 0;
  return cudaSuccess;
}
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
cudaError_t cudaGetLastError() {
  const cudaError_t e = reckit::emu::last_error;
  reckit::emu::last_error = cudaSuccess;
  return e;
}
cudaError_t cudaPeekAtLastError() { return reckit::emu::last_error; }

const char* cudaGetErrorName(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInitializationError: return "cudaErrorInitializationError";
    case cudaErrorLaunchFailure: return "cudaErrorLaunchFailure";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidDevicePointer: return "cudaErrorInvalidDevicePointer";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
  }
  return "cudaErrorUnknown";
}
const char* cudaGetErrorString(cudaError_t error) {
  switch (error) {
    case cudaSuccess: return "no error";
    case cudaErrorMemoryAllocation: return "out of memory (emulated device)";
    case cudaErrorInvalidConfiguration: return "invalid launch configuration";
    case cudaErrorInvalidDevicePointer: return "invalid device pointer or range";
    default: return cudaGetErrorName(error);
  }
}

cudaError_t cudaMalloc(void** pointer, size_t bytes) {
  *pointer = nullptr;
  auto& m = reckit::emu::memory();
  const size_t limit = reckit::emu::env_u64("RECKIT_CUDA_EMU_MEMORY_LIMIT", ~size_t{0});
  std::lock_guard<std::mutex> lock(m.mutex);
  if (bytes > limit || m.in_use > limit - bytes) return record(cudaErrorMemoryAllocation);
  void* p = std::aligned_alloc(256, reckit::emu::padded(bytes));
  if (!p) return record(cudaErrorMemoryAllocation);
  std::memset(p, reckit::emu::kPoison, bytes);  // uninitialized device memory reads as NaN / -1
  std::memset(static_cast<unsigned char*>(p) + bytes, reckit::emu::kRedZone, reckit::emu::padded(bytes) - bytes);
  m.blocks[reinterpret_cast<uintptr_t>(p)] = bytes;
  m.in_use += bytes;
  *pointer = p;
  return cudaSuccess;
}
cudaError_t cudaFree(void* pointer) {
  if (!pointer) return cudaSuccess;
  auto& m = reckit::emu::memory();
  std::lock_guard<std::mutex> lock(m.mutex);
  auto it = m.blocks.find(reinterpret_cast<uintptr_t>(pointer));
  if (it == m.blocks.end()) return record(cudaErrorInvalidDevicePointer);
  m.in_use -= it->second;
  m.blocks.erase(it);
  std::free(pointer);
  return cudaSuccess;
}
cudaError_t cudaMallocHost(void** pointer, size_t bytes) {
  *pointer = std::malloc(bytes ? bytes : 1);
  return *pointer ? cudaSuccess : record(cudaErrorMemoryAllocation);
}
cudaError_t cudaHostAlloc(void** pointer, size_t bytes, unsigned) { return cudaMallocHost(pointer, bytes); }
cudaError_t cudaFreeHost(void* pointer) {
  std::free(pointer);
  return cudaSuccess;
}
// Copies check that the device side of a copy lies inside one allocation: host code overrunning a device
// buffer is caught here rather than silently corrupting the heap.
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind) {
  if (bytes == 0) return cudaSuccess;
  const bool dst_device = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
  const bool src_device = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
  if (kind > cudaMemcpyDefault) return record(cudaErrorInvalidMemcpyDirection);
  if (kind != cudaMemcpyDefault && ((dst_device && !reckit::emu::is_device_range(dst, bytes)) ||
                                    (src_device && !reckit::emu::is_device_range(src, bytes))))
    return record(cudaErrorInvalidDevicePointer);
  std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t) {
  return cudaMemcpy(dst, src, bytes, kind);
}
cudaError_t cudaMemset(void* dst, int value, size_t bytes) {
  if (bytes == 0) return cudaSuccess;
  if (!reckit::emu::is_device_range(dst, bytes)) return record(cudaErrorInvalidDevicePointer);
  std::memset(dst, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemsetAsync(void* dst, int value, size_t bytes, cudaStream_t) { return cudaMemset(dst, value, bytes); }
cudaError_t cudaMemGetInfo(size_t* free_bytes, size_t* total_bytes) {
  auto& m = reckit::emu::memory();
  const size_t limit = reckit::emu::env_u64("RECKIT_CUDA_EMU_MEMORY_LIMIT", 1ull << 40);
  std::lock_guard<std::mutex> lock(m.mutex);
  *total_bytes = limit;
  *free_bytes = limit > m.in_use ? limit - m.in_use : 0;
  return cudaSuccess;
}
cudaError_t cudaStreamCreate(cudaStream_t* stream) {
  *stream = new CUstream_st{0};
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) { return cudaStreamCreate(stream); }
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }  // every operation is synchronous
cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = new CUevent_st{std::chrono::steady_clock::now()};
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
  if (!event) return record(cudaErrorInvalidResourceHandle);
  event->when = std::chrono::steady_clock::now();
  return cudaSuccess;
}
cudaError_t cudaEventSynchronize(cudaEvent_t event) {
  return event ? cudaSuccess : record(cudaErrorInvalidResourceHandle);
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  if (!start || !end) return record(cudaErrorInvalidResourceHandle);
  *ms = std::chrono::duration<float, std::milli>(end->when - start->when).count();
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
