// ops.dot / ops.l2sq / ops.sumsq: the first kernel family, exposed so tests and benchmarks can
// check every ISA path (the optional `isa` argument picks a supported table explicitly).
#include <napi.h>

#include <cmath>
#include <initializer_list>
#include <utility>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/validate.h"
#include "cpu/dispatch.h"

namespace reckit::binding {
namespace {

struct Pair {
  ArrayView<float> a, b;
};

Pair same_length_pair(const Napi::CallbackInfo& args) {
  Pair p{float32_array(args[0], "a"), float32_array(args[1], "b")};
  require(p.a.length == p.b.length, ErrorCode::DimMismatch,
          "a and b must have the same length (got " + std::to_string(p.a.length) + " and " +
              std::to_string(p.b.length) + ")");
  return p;
}

// A non-finite result means a NaN/Inf input (or overflow): only then scan, to name the bad element.
double checked(double result, std::initializer_list<std::pair<const ArrayView<float>*, const char*>> inputs) {
  if (!std::isfinite(result)) {
    for (const auto& input : inputs) require_finite(input.first->data, input.first->length, input.second);
  }
  return result;
}

Napi::Value dot(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const Pair p = same_length_pair(args);
    const cpu::Kernels k = kernels_arg(args[2]);
    return Napi::Number::New(args.Env(), checked(k.vector.dot_f32(p.a.data, p.b.data, p.a.length), {{&p.a, "a"}, {&p.b, "b"}}));
  });
}

Napi::Value l2sq(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const Pair p = same_length_pair(args);
    const cpu::Kernels k = kernels_arg(args[2]);
    return Napi::Number::New(args.Env(), checked(k.vector.l2sq_f32(p.a.data, p.b.data, p.a.length), {{&p.a, "a"}, {&p.b, "b"}}));
  });
}

Napi::Value sumsq(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&] {
    const ArrayView<float> a = float32_array(args[0], "a");
    const cpu::Kernels k = kernels_arg(args[1]);
    return Napi::Number::New(args.Env(), checked(k.vector.sumsq_f32(a.data, a.length), {{&a, "a"}}));
  });
}

}  // namespace

void register_vector_ops(Napi::Env env, Napi::Object exports) {
  exports.Set("dot", Napi::Function::New(env, dot, "dot"));
  exports.Set("l2sq", Napi::Function::New(env, l2sq, "l2sq"));
  exports.Set("sumsq", Napi::Function::New(env, sumsq, "sumsq"));
}

}  // namespace reckit::binding
