// Implementation of the compute pool: N-1 sleeping workers plus the calling thread, one job at a time.
#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace reckit {
namespace {

thread_local bool tls_inside_region = false;

struct RegionGuard {
  bool previous;
  RegionGuard() : previous(tls_inside_region) { tls_inside_region = true; }
  ~RegionGuard() { tls_inside_region = previous; }
};

size_t read_env_threads() {
  const char* value = std::getenv("RECKIT_THREADS");
  if (!value || !*value) return 0;
  char* end = nullptr;
  const long parsed = std::strtol(value, &end, 10);
  if (end == value || *end != '\0' || parsed <= 0 || parsed > 1024) return 0;  // ignore nonsense
  return static_cast<size_t>(parsed);
}

}  // namespace

struct ComputePool::Impl {
  // A job: chunk indices are claimed from `next_chunk` by every participant until exhausted.
  struct Job {
    const ChunkBody* body = nullptr;
    size_t n = 0, chunks = 0;
    std::atomic<size_t> next_chunk{0};
    // Workers inside run_chunks: changed under state_mutex, read without it by the submitter's short spin.
    std::atomic<size_t> participants{0};
    std::exception_ptr error;
    std::mutex error_mutex;
  };

  std::mutex submit_mutex;  // one parallel region at a time
  std::mutex state_mutex;
  std::condition_variable wake_workers, job_finished;
  std::vector<std::thread> workers;
  Job* job = nullptr;
  uint64_t generation = 0;
  // generation, readable without the lock. An idle worker polls it for a short while before it sleeps, and
  // the submitter polls for the workers to leave before it sleeps: back-to-back regions (a GAN step is dozens
  // of small GEMMs) then skip the futex sleep/wake pairs, which on a VM cost as much as a 256³ GEMM's share.
  std::atomic<uint64_t> published_generation{0};
  bool stopping = false;
  std::atomic<size_t> thread_count{1};

  void run_chunks(Job& j) {
    RegionGuard guard;
    for (;;) {
      const size_t chunk = j.next_chunk.fetch_add(1, std::memory_order_relaxed);
      if (chunk >= j.chunks) return;
      const size_t begin = j.n * chunk / j.chunks, end = j.n * (chunk + 1) / j.chunks;
      try {
        (*j.body)(chunk, begin, end);
      } catch (...) {
        std::lock_guard<std::mutex> lock(j.error_mutex);
        if (!j.error) j.error = std::current_exception();
      }
    }
  }

  void worker_loop() {
    uint64_t seen = 0;
    for (;;) {
      Job* current;
      spin_until([&] { return published_generation.load(std::memory_order_acquire) != seen; }, kWorkerSpin);
      {
        std::unique_lock<std::mutex> lock(state_mutex);
        wake_workers.wait(lock, [&] { return stopping || (job && generation != seen); });
        if (stopping) return;
        seen = generation;
        current = job;
        ++current->participants;
      }
      run_chunks(*current);
      {
        // The job lives on the submitter's stack: it may only return once every participant left.
        std::lock_guard<std::mutex> lock(state_mutex);
        --current->participants;
      }
      job_finished.notify_all();
    }
  }

  // Polls cond for at most budget, pausing between polls; the caller then takes the blocking path anyway, so
  // this only ever saves time (and spends at most budget of one core).
  template <typename Cond>
  static void spin_until(Cond cond, std::chrono::microseconds budget) {
    const auto deadline = std::chrono::steady_clock::now() + budget;
    for (;;) {
      for (int i = 0; i < 64; ++i) {
        if (cond()) return;
        cpu_relax();
      }
      if (std::chrono::steady_clock::now() >= deadline) return;
    }
  }

  static void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }

  static constexpr std::chrono::microseconds kWorkerSpin{100};
  static constexpr std::chrono::microseconds kSubmitterSpin{50};

  void start(size_t n) {
    thread_count = std::max<size_t>(1, n);
    stopping = false;
    for (size_t i = 1; i < thread_count.load(); ++i) workers.emplace_back([this] { worker_loop(); });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(state_mutex);
      stopping = true;
    }
    wake_workers.notify_all();
    for (auto& t : workers) t.join();
    workers.clear();
  }
};

ComputePool& ComputePool::instance() {
  // Leaked on purpose: workers must outlive every addon instance and static destructor order.
  static ComputePool* pool = new ComputePool();
  return *pool;
}

ComputePool::ComputePool() : impl_(new Impl()) { impl_->start(default_threads()); }

ComputePool::~ComputePool() {
  impl_->stop();
  delete impl_;
}

size_t ComputePool::physical_cores() {
  // Count distinct (package, core) pairs from sysfs; fall back to the logical CPU count.
  std::set<std::string> cores;
  for (unsigned cpu = 0; cpu < 4096; ++cpu) {
    const std::string base = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    std::ifstream core_file(base + "core_id"), package_file(base + "physical_package_id");
    if (!core_file) {
      if (cpu == 0) break;
      continue;  // offline CPUs leave holes
    }
    std::string core, package;
    core_file >> core;
    package_file >> package;
    cores.insert(package + ":" + core);
  }
  if (!cores.empty()) return cores.size();
  const unsigned logical = std::thread::hardware_concurrency();
  return logical ? logical : 1;
}

size_t ComputePool::default_threads() {
  const size_t from_env = read_env_threads();
  return from_env ? from_env : physical_cores();
}

size_t ComputePool::threads() const { return impl_->thread_count.load(std::memory_order_relaxed); }

void ComputePool::set_threads(size_t n) {
  if (n == 0) n = default_threads();
  std::lock_guard<std::mutex> lock(impl_->submit_mutex);  // waits for a running region to finish
  if (n == impl_->thread_count) return;
  impl_->stop();
  impl_->start(n);
}

void ComputePool::parallel_chunks(size_t n, size_t chunks, const ChunkBody& body) {
  if (n == 0) return;
  chunks = std::max<size_t>(1, std::min(chunks, n));
  if (chunks == 1 || tls_inside_region) {
    // Nested or trivial: same slices, same order of chunk indices, on this thread.
    RegionGuard guard;
    for (size_t c = 0; c < chunks; ++c) body(c, n * c / chunks, n * (c + 1) / chunks);
    return;
  }
  std::lock_guard<std::mutex> submit(impl_->submit_mutex);
  Impl::Job job;
  job.body = &body;
  job.n = n;
  job.chunks = chunks;
  if (impl_->thread_count > 1) {
    std::lock_guard<std::mutex> lock(impl_->state_mutex);
    impl_->job = &job;
    ++impl_->generation;
    impl_->published_generation.store(impl_->generation, std::memory_order_release);
    impl_->wake_workers.notify_all();
  }
  impl_->run_chunks(job);
  Impl::spin_until([&] { return job.participants.load(std::memory_order_acquire) == 0; }, Impl::kSubmitterSpin);
  {
    // Every chunk is claimed once run_chunks returns here; wait for the workers still inside theirs.
    std::unique_lock<std::mutex> lock(impl_->state_mutex);
    impl_->job = nullptr;  // no new participants from here on
    impl_->job_finished.wait(lock, [&] { return job.participants == 0; });
  }
  if (job.error) std::rethrow_exception(job.error);
}

void ComputePool::parallel_for(size_t n, size_t min_per_chunk, const ChunkBody& body) {
  if (n == 0) return;
  min_per_chunk = std::max<size_t>(1, min_per_chunk);
  const size_t by_size = (n + min_per_chunk - 1) / min_per_chunk;
  parallel_chunks(n, std::min(threads(), by_size), body);
}

}  // namespace reckit
