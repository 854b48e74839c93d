// Argument readers and result builders of the EmbeddingTable binding (see embedding_table_args.h).
#include "binding/embedding_table_args.h"

#include <cstring>

#include "binding/args.h"
#include "binding/async_inputs.h"
#include "core/error.h"

namespace reckit::binding::emb {


// Ids/offsets from an Int32Array or Uint32Array (subarray views honoured).
IndexArray index_array(const Napi::Value& value, const char* name) {
  if (value.IsTypedArray()) {
    const napi_typedarray_type type = value.As<Napi::TypedArray>().TypedArrayType();
    if (type == napi_int32_array || type == napi_uint32_array) {
      napi_typedarray_type actual;
      size_t length = 0;
      void* data = nullptr;
      napi_value buffer;
      size_t byte_offset = 0;
      if (napi_get_typedarray_info(value.Env(), value, &actual, &length, &data, &buffer, &byte_offset) != napi_ok) {
        fail(ErrorCode::InvalidArg, std::string(name) + " could not be read");
      }
      if (length > 0 && data == nullptr) fail(ErrorCode::InvalidArg, std::string(name) + " is detached");
      return IndexArray{AsyncInputs::stable(static_cast<const uint32_t*>(data), length), length, type == napi_int32_array};
    }
  }
  fail(ErrorCode::InvalidArg, std::string(name) + " must be an Int32Array or a Uint32Array");
}

PoolMode mode_arg(const Napi::Value& value) {
  const std::string mode = value.IsUndefined() ? "sum" : string_arg(value, "mode");
  if (mode == "sum") return PoolMode::Sum;
  if (mode == "mean") return PoolMode::Mean;
  if (mode == "max") return PoolMode::Max;
  fail(ErrorCode::InvalidArg, "mode must be 'sum', 'mean' or 'max'");
}

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


// (ids, offsets | null, mode, weights | undefined) starting at args[first].
BagBatch batch_args(const Napi::CallbackInfo& args, size_t first, bool offsets_optional) {
  BagBatch b;
  b.ids = index_array(args[first], "ids");
  const Napi::Value offsets = args[first + 1];
  if (offsets_optional && (offsets.IsNull() || offsets.IsUndefined())) {
    b.has_offsets = false;
  } else {
    b.offsets = index_array(offsets, "offsets");
  }
  b.mode = mode_arg(args[first + 2]);
  const Napi::Value weights = args[first + 3];
  if (!weights.IsUndefined() && !weights.IsNull()) {
    const ArrayView<float> w = float32_array(weights, "weights");
    static const float kEmpty = 0.f;  // a non-null pointer for an empty (but present) weights array
    b.weights = w.data ? w.data : &kEmpty;
    b.weights_length = w.length;
  }
  return b;
}

SparseOptimizerConfig config_arg(const Napi::Value& o) {
  require(o.IsObject(), ErrorCode::InvalidArg, "options must be an object");
  SparseOptimizerConfig c;
  const std::string kind = string_arg(option(o, "optimizer"), "optimizer");
  if (kind == "sgd") c.kind = SparseOptimizer::Sgd;
  else if (kind == "adagrad") c.kind = SparseOptimizer::Adagrad;
  else if (kind == "adam") c.kind = SparseOptimizer::Adam;
  else fail(ErrorCode::InvalidArg, "optimizer must be 'sgd', 'adagrad' or 'adam'");
  c.lr = static_cast<float>(number_arg(option(o, "lr"), "lr"));
  auto opt = [&](const char* key, float fallback) {
    const Napi::Value v = option(o, key);
    return v.IsUndefined() ? fallback : static_cast<float>(number_arg(v, key));
  };
  c.weight_decay = opt("weightDecay", 0.f);
  c.eps = opt("eps", c.kind == SparseOptimizer::Adagrad ? 1e-10f : 1e-8f);
  c.beta1 = opt("beta1", 0.9f);
  c.beta2 = opt("beta2", 0.999f);
  return c;
}


Napi::Value gradient_object(Napi::Env env, const SparseGradient& g, bool weighted) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rows", copy_out<uint32_t, Napi::Uint32Array>(env, g.rows));
  o.Set("grads", copy_out<float, Napi::Float32Array>(env, g.grads));
  if (weighted) o.Set("weightGrads", copy_out<float, Napi::Float32Array>(env, g.weight_grads));
  return o;
}

Napi::Value step_object(Napi::Env env, const EmbeddingTable::StepResult& r, bool weighted) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("rowsTouched", static_cast<double>(r.rows_touched));
  if (weighted) o.Set("weightGrads", copy_out<float, Napi::Float32Array>(env, r.weight_grads));
  return o;
}

// The caller's `out` Float32Array when given (checked to hold exactly `length` floats), else a new one.
Napi::Float32Array output(Napi::Env env, const Napi::Value& out, size_t length) {
  if (out.IsUndefined() || out.IsNull()) return Napi::Float32Array::New(env, js_length<float>(length));
  if (!out.IsTypedArray() || out.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    fail(ErrorCode::InvalidArg, "out must be a Float32Array");
  }
  // Read in place, not through float32_array(): an output is not an input to copy (AsyncInputs).
  Napi::Float32Array array = out.As<Napi::Float32Array>();
  const size_t got = array.ElementLength();
  require(got == length, ErrorCode::DimMismatch,
          "out must have " + std::to_string(length) + " floats (got " + std::to_string(got) + ")");
  require(length == 0 || array.Data() != nullptr, ErrorCode::InvalidArg, "out is detached");
  return array;
}

std::shared_ptr<AsyncOutput> async_output(Napi::Env env, const Napi::Value& out, size_t length) {
  auto o = std::make_shared<AsyncOutput>();
  Napi::Float32Array array = output(env, out, length);
  o->array = Napi::Persistent(array.As<Napi::Object>());
  if (out.IsUndefined() || out.IsNull()) {
    o->dst = array.Data();  // ours: nobody else holds it before the promise settles
  } else {
    o->staging.resize(length);
    o->dst = o->staging.data();
  }
  return o;
}

Napi::Value AsyncOutput::settle(Napi::Env) {
  Napi::Float32Array array = this->array.Value().As<Napi::Float32Array>();
  if (!staging.empty()) {
    require(array.ElementLength() == staging.size() && array.Data() != nullptr, ErrorCode::InvalidArg,
            "out was detached (transferred) while the call ran");
    std::memcpy(array.Data(), staging.data(), staging.size() * sizeof(float));
  }
  return array;
}

Napi::Value external_of(Napi::Env env, TablePtr table) {
  return Napi::External<TablePtr>::New(env, new TablePtr(std::move(table)), [](Napi::Env, TablePtr* p) { delete p; });
}

size_t checked_size(size_t a, size_t b, const char* what) {
  require(b == 0 || a <= (size_t{1} << 40) / b, ErrorCode::OutOfRange, std::string(what) + " is too large");
  return a * b;
}


InitSpec init_spec(const Napi::CallbackInfo& args) {
  InitSpec spec;
  spec.rows = static_cast<size_t>(integer_arg(args[0], "rows", 1, int64_t{1} << 32));
  spec.dim = static_cast<size_t>(integer_arg(args[1], "dim", 1, EmbeddingTable::kMaxDim));
  spec.kind = args[2].IsUndefined() ? "zeros" : string_arg(args[2], "init.kind");
  if (spec.kind == "normal") {
    spec.p1 = static_cast<float>(number_arg(args[3], "init.mean"));
    const double stddev = number_arg(args[4], "init.std");
    require(stddev >= 0, ErrorCode::OutOfRange, "init.std must be >= 0");
    spec.p2 = static_cast<float>(stddev);
  } else if (spec.kind == "uniform") {
    const double low = number_arg(args[3], "init.low"), high = number_arg(args[4], "init.high");
    require(low < high, ErrorCode::OutOfRange, "init range must have low < high");
    spec.p1 = static_cast<float>(low);
    spec.p2 = static_cast<float>(high);
  } else if (spec.kind != "zeros") {
    fail(ErrorCode::InvalidArg, "init.kind must be 'normal', 'uniform' or 'zeros'");
  }
  if (spec.kind != "zeros") spec.seed = seed_arg(args[5], "init.seed");
  return spec;
}

// Allocates and fills the table (the heavy part: may run on a worker thread).
TablePtr build_table(const InitSpec& spec) {
  auto table = std::make_shared<EmbeddingTable>(spec.rows, spec.dim);
  if (spec.kind == "normal") table->init_normal(spec.seed, spec.p1, spec.p2);
  if (spec.kind == "uniform") table->init_uniform(spec.seed, spec.p1, spec.p2);
  return table;
}

// A Node Buffer owning `bytes` (no copy where the runtime allows external buffers).
Napi::Value buffer_of(Napi::Env env, std::vector<uint8_t>&& bytes) {
  if (bytes.empty()) return Napi::Buffer<uint8_t>::New(env, 0);
  auto* owned = new std::vector<uint8_t>(std::move(bytes));
  return Napi::Buffer<uint8_t>::NewOrCopy(env, owned->data(), owned->size(),
                                          [owned](Napi::Env, uint8_t*) { delete owned; });
}

}  // namespace reckit::binding::emb
