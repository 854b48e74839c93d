// info(), backends(), setThreads(): what this build and machine offer, and the compute pool size.
#include <napi.h>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/cuda_loader.h"
#include "core/thread_pool.h"
#include "cpu/dispatch.h"

#ifndef RECKIT_VERSION
#define RECKIT_VERSION "0.0.0"
#endif

namespace reckit::binding {
namespace {

Napi::Array supported_isas(Napi::Env env) {
  Napi::Array list = Napi::Array::New(env);
  uint32_t i = 0;
  for (cpu::Isa isa : {cpu::Isa::Avx512, cpu::Isa::Avx2, cpu::Isa::Neon, cpu::Isa::Portable}) {
    if (cpu::isa_supported(isa)) list.Set(i++, cpu::isa_name(isa));
  }
  return list;
}

Napi::Object cuda_object(Napi::Env env) {
  const CudaStatus& s = cuda_status();
  Napi::Object cuda = Napi::Object::New(env);
  cuda.Set("available", s.available);
  cuda.Set("devices", s.devices);
  cuda.Set("libraryLoaded", s.library_loaded);
  cuda.Set("libraryPath", s.library_path);
  cuda.Set("reason", s.available ? env.Null() : Napi::String::New(env, s.reason));
  cuda.Set("backend", s.backend.empty() ? env.Null() : Napi::String::New(env, s.backend));
  cuda.Set("device", s.device.empty() ? env.Null() : Napi::String::New(env, s.device));
  return cuda;
}

Napi::Value info(const Napi::CallbackInfo& args) {
  Napi::Env env = args.Env();
  const cpu::Kernels& k = cpu::kernels();
  const cpu::CpuFeatures& f = cpu::cpu_features();
  Napi::Object out = Napi::Object::New(env);
  out.Set("version", RECKIT_VERSION);
  out.Set("backend", "cpu");
  out.Set("isa", cpu::isa_name(k.isa));
  out.Set("isaNote", cpu::isa_note().empty() ? env.Null() : Napi::String::New(env, cpu::isa_note()));
  out.Set("supportedIsas", supported_isas(env));
  out.Set("threads", static_cast<double>(ComputePool::instance().threads()));
  out.Set("physicalCores", static_cast<double>(ComputePool::physical_cores()));
  Napi::Object features = Napi::Object::New(env);
  features.Set("avx2", f.avx2_fma);
  features.Set("avx512", f.avx512);
  features.Set("avx512bf16", f.avx512_bf16);
  features.Set("avx512vnni", f.avx512_vnni);
  features.Set("neon", f.neon);
  out.Set("cpuFeatures", features);
  out.Set("cuda", cuda_object(env));
  out.Set("napiVersion", NAPI_VERSION);
  return out;
}

Napi::Value backends(const Napi::CallbackInfo& args) {
  Napi::Env env = args.Env();
  Napi::Array list = Napi::Array::New(env);
  Napi::Object cpu_backend = Napi::Object::New(env);
  cpu_backend.Set("name", "cpu");
  cpu_backend.Set("available", true);
  cpu_backend.Set("isa", cpu::isa_name(cpu::kernels().isa));
  cpu_backend.Set("reason", env.Null());
  list.Set(0u, cpu_backend);
  Napi::Object cuda = cuda_object(env);
  cuda.Set("name", "cuda");
  list.Set(1u, cuda);
  return list;
}

Napi::Value set_threads(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const int64_t n = integer_arg(args[0], "threads", 0, 1024);
    ComputePool::instance().set_threads(static_cast<size_t>(n));
    return Napi::Number::New(args.Env(), static_cast<double>(ComputePool::instance().threads()));
  });
}

}  // namespace

void register_info(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, info, "info"));
  exports.Set("backends", Napi::Function::New(env, backends, "backends"));
  exports.Set("setThreads", Napi::Function::New(env, set_threads, "setThreads"));
}

}  // namespace reckit::binding
