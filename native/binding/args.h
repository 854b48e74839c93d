// Reading JS arguments into plain views and numbers, with checks that name the argument.
// TypedArray views honour byteOffset/byteLength, so `subarray()` inputs work without copies.
#pragma once
#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "cpu/dispatch.h"

namespace reckit::binding {

template <typename T>
struct ArrayView {
  T* data = nullptr;
  size_t length = 0;
};

// A Float32Array argument (any view of one); throws ERR_RECKIT_INVALID_ARG otherwise.
ArrayView<float> float32_array(const Napi::Value& value, const char* name);
ArrayView<uint32_t> uint32_array(const Napi::Value& value, const char* name);

// A finite number that is a whole number in [min, max].
int64_t integer_arg(const Napi::Value& value, const char* name, int64_t min, int64_t max);
double number_arg(const Napi::Value& value, const char* name);
// A 64-bit seed from a non-negative safe integer or a BigInt.
uint64_t seed_arg(const Napi::Value& value, const char* name);
std::string string_arg(const Napi::Value& value, const char* name);
// An `isa` argument: the active kernels when undefined/null, else the named ISA's (ERR_RECKIT_OUT_OF_RANGE
// when this machine lacks it).
cpu::Kernels kernels_arg(const Napi::Value& value);

// The element count of a typed array the binding is about to create, checked first: V8 aborts the
// whole process when it cannot allocate an ArrayBuffer, so a size the machine cannot hold must become
// ERR_RECKIT_OUT_OF_MEMORY here instead. Large sizes are probed with a real allocation.
size_t checked_js_bytes(size_t count, size_t element_size);
template <typename T>
size_t js_length(size_t count) {
  checked_js_bytes(count, sizeof(T));
  return count;
}

// Optional property of an options object (undefined when the object or the property is missing).
Napi::Value option(const Napi::Value& options, const char* key);

}  // namespace reckit::binding
