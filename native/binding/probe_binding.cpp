// Machine-limit probes for the bench harness: FP32 FMA peak per ISA and read bandwidth, each with one
// thread or the whole compute pool. They run synchronously: the harness is a CLI, not a service.
#include <napi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <vector>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/thread_pool.h"
#include "cpu/dispatch.h"

namespace reckit::binding {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

cpu::Kernels kernels_named(const Napi::Value& value) {
  const std::string name = string_arg(value, "isa");
  for (cpu::Isa isa : {cpu::Isa::Portable, cpu::Isa::Neon, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
    if (name == cpu::isa_name(isa)) return cpu::kernels_for(isa);
  }
  fail(ErrorCode::InvalidArg, "unknown isa '" + name + "'");
}

// probeFmaPeak(isa, threads, milliseconds) -> GFLOP/s over all participating threads.
Napi::Value probe_fma_peak(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const cpu::Kernels k = kernels_named(args[0]);
    const size_t threads = static_cast<size_t>(integer_arg(args[1], "threads", 1, 1024));
    const double budget = static_cast<double>(integer_arg(args[2], "milliseconds", 1, 60000)) / 1000.0;
    constexpr size_t kIterations = 1 << 20;
    std::vector<double> flops(threads, 0.0);
    float sink = 0;
    k.probe.fma_loop(kIterations / 16, &sink);  // warm up (frequency ramp)
    const auto start = Clock::now();
    ComputePool::instance().parallel_chunks(threads, threads, [&](size_t chunk, size_t, size_t) {
      float local_sink = 0;
      const auto chunk_start = Clock::now();
      while (seconds_since(chunk_start) < budget) flops[chunk] += k.probe.fma_loop(kIterations, &local_sink);
      if (local_sink == 12345.f) flops[chunk] += 1;  // keep the result alive
    });
    const double elapsed = seconds_since(start);
    double total = 0;
    for (double f : flops) total += f;
    return Napi::Number::New(args.Env(), total / elapsed / 1e9);
  });
}

// probeReadBandwidth(megabytes, threads, repeats) -> GB/s reading a buffer larger than the caches.
Napi::Value probe_read_bandwidth(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const size_t megabytes = static_cast<size_t>(integer_arg(args[0], "megabytes", 1, 65536));
    const size_t threads = static_cast<size_t>(integer_arg(args[1], "threads", 1, 1024));
    const int repeats = static_cast<int>(integer_arg(args[2], "repeats", 1, 1000));
    const size_t n = megabytes * (size_t{1} << 20) / sizeof(float);
    std::unique_ptr<float[]> buffer(new float[n]);
    ComputePool::instance().parallel_chunks(n, threads, [&](size_t, size_t b, size_t e) {
      std::fill(buffer.get() + b, buffer.get() + e, 1.0f);  // first touch by the reading thread
    });
    const cpu::Kernels& k = cpu::kernels();
    double best = 0;
    std::atomic<float> sink{0};
    for (int r = 0; r < repeats; ++r) {
      const auto start = Clock::now();
      ComputePool::instance().parallel_chunks(n, threads, [&](size_t, size_t b, size_t e) {
        sink.store(k.vector.sumsq_f32(buffer.get() + b, e - b), std::memory_order_relaxed);
      });
      best = std::max(best, static_cast<double>(n * sizeof(float)) / seconds_since(start) / 1e9);
    }
    return Napi::Number::New(args.Env(), best);
  });
}

}  // namespace

void register_probe(Napi::Env env, Napi::Object exports) {
  exports.Set("probeFmaPeak", Napi::Function::New(env, probe_fma_peak, "probeFmaPeak"));
  exports.Set("probeReadBandwidth", Napi::Function::New(env, probe_read_bandwidth, "probeReadBandwidth"));
}

}  // namespace reckit::binding
