// ops.dot / ops.l2sq / ops.sumsq: the first kernel family, exposed so tests and benchmarks can
// check every ISA path (the optional `isa` argument picks a supported table explicitly).
#include <napi.h>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/validate.h"
#include "cpu/dispatch.h"

namespace reckit::binding {
namespace {

cpu::Kernels kernels_arg(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return cpu::kernels();
  const std::string name = string_arg(value, "isa");
  for (cpu::Isa isa : {cpu::Isa::Portable, cpu::Isa::Neon, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
    if (name == cpu::isa_name(isa)) {
      require(cpu::isa_supported(isa), ErrorCode::OutOfRange, "isa '" + name + "' is not supported on this machine");
      return cpu::kernels_for(isa);
    }
  }
  fail(ErrorCode::InvalidArg, "isa must be one of avx512, avx2, neon, portable");
}

struct Pair {
  ArrayView<float> a, b;
};

Pair same_length_pair(const Napi::CallbackInfo& args) {
  Pair p{float32_array(args[0], "a"), float32_array(args[1], "b")};
  require(p.a.length == p.b.length, ErrorCode::DimMismatch,
          "a and b must have the same length (got " + std::to_string(p.a.length) + " and " +
              std::to_string(p.b.length) + ")");
  require_finite(p.a.data, p.a.length, "a");
  require_finite(p.b.data, p.b.length, "b");
  return p;
}

Napi::Value dot(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const Pair p = same_length_pair(args);
    const cpu::Kernels k = kernels_arg(args[2]);
    return Napi::Number::New(args.Env(), k.vector.dot_f32(p.a.data, p.b.data, p.a.length));
  });
}

Napi::Value l2sq(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const Pair p = same_length_pair(args);
    const cpu::Kernels k = kernels_arg(args[2]);
    return Napi::Number::New(args.Env(), k.vector.l2sq_f32(p.a.data, p.b.data, p.a.length));
  });
}

Napi::Value sumsq(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const ArrayView<float> a = float32_array(args[0], "a");
    require_finite(a.data, a.length, "a");
    const cpu::Kernels k = kernels_arg(args[1]);
    return Napi::Number::New(args.Env(), k.vector.sumsq_f32(a.data, a.length));
  });
}

}  // namespace

void register_vector_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("dot", Napi::Function::New(env, dot, "dot"));
  exports.Set("l2sq", Napi::Function::New(env, l2sq, "l2sq"));
  exports.Set("sumsq", Napi::Function::New(env, sumsq, "sumsq"));
}

}  // namespace reckit::binding
