// Seeded random fills (Philox) on the CPU or, when asked, on the CUDA library; sync and async.
#include <napi.h>

#include <memory>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/cuda_loader.h"
#include "core/philox.h"
#include "core/random.h"

namespace reckit::binding {
namespace {

constexpr int64_t kMaxFill = int64_t{1} << 32;  // 16 GiB of floats: beyond that is a mistake

enum class Kind { Uniform, Normal, Bits };

struct FillRequest {
  Kind kind;
  size_t n;
  uint64_t seed, stream;
  float p1, p2;  // uniform: low, high; normal: mean, std
  bool cuda;
};

FillRequest parse(const Napi::CallbackInfo& args) {
  FillRequest r{};
  const std::string kind = string_arg(args[0], "kind");
  if (kind == "uniform") r.kind = Kind::Uniform;
  else if (kind == "normal") r.kind = Kind::Normal;
  else if (kind == "bits") r.kind = Kind::Bits;
  else fail(ErrorCode::InvalidArg, "kind must be uniform, normal or bits");
  r.n = static_cast<size_t>(integer_arg(args[1], "n", 0, kMaxFill));
  r.seed = seed_arg(args[2], "seed");
  r.stream = seed_arg(args[3], "stream");
  r.p1 = static_cast<float>(number_arg(args[4], r.kind == Kind::Normal ? "mean" : "low"));
  r.p2 = static_cast<float>(number_arg(args[5], r.kind == Kind::Normal ? "std" : "high"));
  if (r.kind == Kind::Uniform) require(r.p1 < r.p2, ErrorCode::OutOfRange, "low must be less than high");
  if (r.kind == Kind::Normal) require(r.p2 >= 0, ErrorCode::OutOfRange, "std must be >= 0");
  const std::string device = args[6].IsUndefined() ? "cpu" : string_arg(args[6], "device");
  require(device == "cpu" || device == "cuda" || device == "auto", ErrorCode::InvalidArg,
          "device must be 'cpu', 'cuda' or 'auto'");
  if (device == "cuda") {
    require(cuda_api() != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
    require(r.kind == Kind::Uniform, ErrorCode::InvalidArg, "the CUDA backend fills uniform values only so far");
  }
  r.cuda = device == "cuda" || (device == "auto" && cuda_api() != nullptr && r.kind == Kind::Uniform);
  return r;
}

void fill(const FillRequest& r, void* out) {
  if (r.cuda) {
    char message[512] = {0};
    const int status = cuda_api()->philox_uniform(static_cast<float*>(out), r.n, r.seed, r.stream, r.p1, r.p2, message,
                                                  sizeof message);
    if (status == RECKIT_CUDA_OUT_OF_MEMORY) fail(ErrorCode::OutOfMemory, message);
    if (status == RECKIT_CUDA_NO_DEVICE) fail(ErrorCode::NoDevice, message);
    if (status != RECKIT_CUDA_OK) fail(ErrorCode::Internal, message);
    return;
  }
  switch (r.kind) {
    case Kind::Uniform: fill_uniform(static_cast<float*>(out), r.n, r.seed, r.stream, r.p1, r.p2); break;
    case Kind::Normal: fill_normal(static_cast<float*>(out), r.n, r.seed, r.stream, r.p1, r.p2); break;
    case Kind::Bits: fill_random_bits(static_cast<uint32_t*>(out), r.n, r.seed, r.stream); break;
  }
}

Napi::TypedArray allocate(Napi::Env env, const FillRequest& r) {
  if (r.kind == Kind::Bits) return Napi::Uint32Array::New(env, js_length<uint32_t>(r.n));
  return Napi::Float32Array::New(env, js_length<float>(r.n));
}

void* data_of(const Napi::TypedArray& array) {
  return static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
}

// randomFill(kind, n, seed, stream, p1, p2, device?) -> Float32Array | Uint32Array
Napi::Value random_fill(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const FillRequest r = parse(args);
    Napi::TypedArray out = allocate(args.Env(), r);
    fill(r, data_of(out));
    return out;
  });
}

Napi::Value random_fill_async(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const FillRequest r = parse(args);
    Napi::TypedArray out = allocate(args.Env(), r);
    void* data = data_of(out);
    auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
    return run_async(
        args.Env(), {out}, [r, data] { fill(r, data); },
        [result](Napi::Env) -> Napi::Value { return result->Value(); });
  });
}

// philoxBlock(counter: Uint32Array(4), key: Uint32Array(2)) -> Uint32Array(4): the raw bijection.
Napi::Value philox_block_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<uint32_t> counter = uint32_array(args[0], "counter");
    const ArrayView<uint32_t> key = uint32_array(args[1], "key");
    require(counter.length == 4, ErrorCode::DimMismatch, "counter must have 4 words");
    require(key.length == 2, ErrorCode::DimMismatch, "key must have 2 words");
    const PhiloxBlock out =
        philox4x32_10(PhiloxBlock{{counter.data[0], counter.data[1], counter.data[2], counter.data[3]}}, key.data[0],
                      key.data[1]);
    Napi::Uint32Array result = Napi::Uint32Array::New(args.Env(), 4);
    for (size_t i = 0; i < 4; ++i) result[i] = out.v[i];
    return result;
  });
}

}  // namespace

void register_random(Napi::Env env, Napi::Object exports) {
  exports.Set("randomFill", Napi::Function::New(env, random_fill, "randomFill"));
  exports.Set("randomFillAsync", Napi::Function::New(env, random_fill_async, "randomFillAsync"));
  exports.Set("philoxBlock", Napi::Function::New(env, philox_block_js, "philoxBlock"));
}

}  // namespace reckit::binding
