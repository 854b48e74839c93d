// Argument readers for the binding; every failure is a reckit::Error naming the argument.
#include "binding/args.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "binding/async_inputs.h"
#include "core/error.h"

namespace reckit::binding {
namespace {

template <typename T>
ArrayView<T> typed_array(const Napi::Value& value, const char* name, napi_typedarray_type type, const char* type_name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) {
    fail(ErrorCode::InvalidArg, std::string(name) + " must be a " + type_name);
  }
  napi_typedarray_type actual;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t byte_offset = 0;
  // napi_get_typedarray_info returns the element pointer already advanced by byteOffset.
  napi_status status = napi_get_typedarray_info(value.Env(), value, &actual, &length, &data, &buffer, &byte_offset);
  if (status != napi_ok) fail(ErrorCode::InvalidArg, std::string(name) + " could not be read");
  if (length > 0 && data == nullptr) fail(ErrorCode::InvalidArg, std::string(name) + " is detached");
  return ArrayView<T>{AsyncInputs::stable(static_cast<T*>(data), length), length};
}

}  // namespace

ArrayView<float> float32_array(const Napi::Value& value, const char* name) {
  return typed_array<float>(value, name, napi_float32_array, "Float32Array");
}

ArrayView<uint32_t> uint32_array(const Napi::Value& value, const char* name) {
  return typed_array<uint32_t>(value, name, napi_uint32_array, "Uint32Array");
}

double number_arg(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) fail(ErrorCode::InvalidArg, std::string(name) + " must be a number");
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v)) fail(ErrorCode::OutOfRange, std::string(name) + " must be finite");
  return v;
}

int64_t integer_arg(const Napi::Value& value, const char* name, int64_t min, int64_t max) {
  const double v = number_arg(value, name);
  if (std::floor(v) != v) fail(ErrorCode::OutOfRange, std::string(name) + " must be an integer");
  if (v < static_cast<double>(min) || v > static_cast<double>(max)) {
    fail(ErrorCode::OutOfRange,
         std::string(name) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return static_cast<int64_t>(v);
}

uint64_t seed_arg(const Napi::Value& value, const char* name) {
  if (value.IsBigInt()) {
    bool lossless = false;
    const uint64_t v = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) fail(ErrorCode::OutOfRange, std::string(name) + " must fit in 64 bits");
    return v;
  }
  return static_cast<uint64_t>(integer_arg(value, name, 0, 9007199254740991LL));
}

std::string string_arg(const Napi::Value& value, const char* name) {
  if (!value.IsString()) fail(ErrorCode::InvalidArg, std::string(name) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

size_t checked_js_bytes(size_t count, size_t element_size) {
  if (element_size != 0 && count > SIZE_MAX / element_size) fail(ErrorCode::OutOfMemory, "the result is too large to allocate");
  const size_t bytes = count * element_size;
  // Below this, a failure is as unlikely as anywhere else in Node; above it, ask the allocator first.
  constexpr size_t kProbeFrom = size_t{64} << 20;
  if (bytes >= kProbeFrom) {
    void* probe = std::malloc(bytes);
    if (probe == nullptr) {
      fail(ErrorCode::OutOfMemory, "cannot allocate a result of " + std::to_string(bytes) + " bytes");
    }
    std::free(probe);
  }
  return bytes;
}

Napi::Value option(const Napi::Value& options, const char* key) {
  if (options.IsObject()) return options.As<Napi::Object>().Get(key);
  return options.Env().Undefined();
}

}  // namespace reckit::binding
