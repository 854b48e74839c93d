// readSafetensors / writeSafetensors: the file format reckit saves in, exposed for inspection and
// interop (e.g. with Python's safetensors). Reading validates exactly like the object loaders do.
#include <napi.h>

#include <cstring>
#include <memory>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/safetensors.h"

namespace reckit::binding {
namespace {

struct NamedDType {
  const char* name;
  st::DType dtype;
  napi_typedarray_type array_type;
};
constexpr NamedDType kArrayTypes[] = {
    {"F64", st::DType::F64, napi_float64_array}, {"F32", st::DType::F32, napi_float32_array},
    {"F16", st::DType::F16, napi_uint16_array},  {"BF16", st::DType::BF16, napi_uint16_array},
    {"I64", st::DType::I64, napi_bigint64_array}, {"I32", st::DType::I32, napi_int32_array},
    {"I16", st::DType::I16, napi_int16_array},   {"I8", st::DType::I8, napi_int8_array},
    {"U64", st::DType::U64, napi_biguint64_array}, {"U32", st::DType::U32, napi_uint32_array},
    {"U16", st::DType::U16, napi_uint16_array},  {"U8", st::DType::U8, napi_uint8_array},
    {"BOOL", st::DType::BOOL, napi_uint8_array},
};

const NamedDType& by_name(const std::string& name) {
  for (const auto& d : kArrayTypes) {
    if (name == d.name) return d;
  }
  fail(ErrorCode::InvalidArg, "unknown dtype '" + name + "'");
}

const NamedDType& by_dtype(st::DType dtype) {
  for (const auto& d : kArrayTypes) {
    if (d.dtype == dtype) return d;
  }
  fail(ErrorCode::Internal, "unmapped dtype");
}

Napi::Object to_js(Napi::Env env, const st::File& file) {
  Napi::Object out = Napi::Object::New(env);
  Napi::Object metadata = Napi::Object::New(env);
  for (const auto& kv : file.metadata()) metadata.Set(kv.first, kv.second);
  Napi::Object tensors = Napi::Object::New(env);
  for (const auto& kv : file.tensors()) {
    const st::Tensor& t = kv.second;
    const NamedDType& d = by_dtype(t.dtype);
    Napi::ArrayBuffer buffer = Napi::ArrayBuffer::New(env, checked_js_bytes(t.bytes, 1));
    if (t.bytes) std::memcpy(buffer.Data(), t.data, t.bytes);
    const size_t elements = t.bytes / st::dtype_size(t.dtype);
    napi_value array;
    napi_create_typedarray(env, d.array_type, elements, buffer, 0, &array);
    Napi::Array shape = Napi::Array::New(env, t.shape.size());
    for (size_t i = 0; i < t.shape.size(); ++i) shape.Set(static_cast<uint32_t>(i), static_cast<double>(t.shape[i]));
    Napi::Object entry = Napi::Object::New(env);
    entry.Set("dtype", d.name);
    entry.Set("shape", shape);
    entry.Set("data", Napi::Value(env, array));
    tensors.Set(kv.first, entry);
  }
  out.Set("metadata", metadata);
  out.Set("tensors", tensors);
  return out;
}

// readSafetensors(pathOrBuffer) -> { metadata, tensors: { name: { dtype, shape, data } } }
Napi::Value read(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    std::shared_ptr<st::File> file;
    if (args[0].IsString()) {
      file = st::File::open(args[0].As<Napi::String>().Utf8Value());
    } else if (args[0].IsTypedArray()) {
      Napi::TypedArray a = args[0].As<Napi::TypedArray>();
      const uint8_t* data = static_cast<const uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
      file = st::File::from_buffer(data, a.ByteLength());
    } else {
      fail(ErrorCode::InvalidArg, "source must be a path or a Uint8Array/Buffer");
    }
    return to_js(args.Env(), *file);
  });
}

// writeSafetensors(path | null, tensors: {name: {dtype, shape, data}}, metadata: {str: str}) -> Buffer | undefined
Napi::Value write(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    Napi::Env env = args.Env();
    if (!args[1].IsObject()) fail(ErrorCode::InvalidArg, "tensors must be an object");
    st::Writer writer;
    Napi::Object tensors = args[1].As<Napi::Object>();
    Napi::Array names = tensors.GetPropertyNames();
    for (uint32_t i = 0; i < names.Length(); ++i) {
      const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value entry = tensors.Get(name);
      if (!entry.IsObject()) fail(ErrorCode::InvalidArg, "tensors." + name + " must be an object");
      const NamedDType& d = by_name(string_arg(option(entry, "dtype"), "dtype"));
      Napi::Value shape_value = option(entry, "shape");
      if (!shape_value.IsArray()) fail(ErrorCode::InvalidArg, "tensors." + name + ".shape must be an array");
      Napi::Array shape_array = shape_value.As<Napi::Array>();
      std::vector<uint64_t> shape;
      uint64_t elements = 1;
      for (uint32_t j = 0; j < shape_array.Length(); ++j) {
        const int64_t dim = integer_arg(shape_array.Get(j), "shape", 0, int64_t{1} << 40);
        shape.push_back(static_cast<uint64_t>(dim));
        elements *= static_cast<uint64_t>(dim);
      }
      Napi::Value data = option(entry, "data");
      if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != d.array_type) {
        fail(ErrorCode::InvalidArg, "tensors." + name + ".data must be the typed array for " + d.name);
      }
      Napi::TypedArray array = data.As<Napi::TypedArray>();
      require(array.ElementLength() == elements, ErrorCode::DimMismatch,
              "tensors." + name + ".data has " + std::to_string(array.ElementLength()) + " elements, shape needs " +
                  std::to_string(elements));
      writer.add(name, d.dtype, shape, static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset());
    }
    if (args[2].IsObject()) {
      Napi::Object meta = args[2].As<Napi::Object>();
      Napi::Array keys = meta.GetPropertyNames();
      for (uint32_t i = 0; i < keys.Length(); ++i) {
        const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
        writer.set_metadata(key, string_arg(meta.Get(key), "metadata value"));
      }
    }
    if (args[0].IsString()) {
      writer.save(args[0].As<Napi::String>().Utf8Value());
      return env.Undefined();
    }
    const std::vector<uint8_t> bytes = writer.to_buffer();
    return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
  });
}

Napi::Value xxh64_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    if (!args[0].IsTypedArray()) fail(ErrorCode::InvalidArg, "data must be a typed array");
    Napi::TypedArray a = args[0].As<Napi::TypedArray>();
    const uint64_t seed = args[1].IsUndefined() ? 0 : seed_arg(args[1], "seed");
    return Napi::BigInt::New(args.Env(), st::xxh64(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset(),
                                                  a.ByteLength(), seed));
  });
}

}  // namespace

void register_safetensors(Napi::Env env, Napi::Object exports) {
  exports.Set("readSafetensors", Napi::Function::New(env, read, "readSafetensors"));
  exports.Set("writeSafetensors", Napi::Function::New(env, write, "writeSafetensors"));
  exports.Set("xxh64", Napi::Function::New(env, xxh64_js, "xxh64"));
}

}  // namespace reckit::binding
