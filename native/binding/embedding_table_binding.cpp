// The native EmbeddingTable class (Napi::ObjectWrap over a shared core table) and its factories.
// Construction from JS takes (rows, dim, init kind, p1, p2, seed); factories (fromArray, load, clone)
// return an External that lib/embedding-table.ts adopts with `new`, so no constructor is kept in
// static or per-env state. Async forms copy ids/offsets (they decide which memory is read) before
// queueing, and validate again on the worker under the table's lock.
#include "binding/embedding_table_binding.h"

#include <cstring>
#include <memory>
#include <vector>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/embedding_table.h"
#include "core/embedding_table_io.h"
#include "cpu/dispatch.h"

namespace reckit::binding {
namespace {

using TablePtr = std::shared_ptr<EmbeddingTable>;

// Marks our wrapper objects so embedding_table_from_js never unwraps a foreign object.
constexpr napi_type_tag kTableTag = {0x7265636b69742d65ULL, 0x6d6265642d746162ULL};

// ---- argument readers ------------------------------------------------------------------------

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
      return IndexArray{static_cast<const uint32_t*>(data), length, type == napi_int32_array};
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

// A batch whose index arrays are owned copies (for async work: the JS arrays may change meanwhile).
struct OwnedBatch {
  std::vector<uint32_t> ids, offsets;
  BagBatch batch;
  void own() {
    ids.assign(batch.ids.data, batch.ids.data + batch.ids.length);
    batch.ids.data = ids.data();
    if (batch.has_offsets) {
      offsets.assign(batch.offsets.data, batch.offsets.data + batch.offsets.length);
      batch.offsets.data = offsets.data();
    }
  }
};

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

template <typename T, typename Array>
Array copy_out(Napi::Env env, const std::vector<T>& v) {
  Array a = Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(T));
  return a;
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
  if (out.IsUndefined() || out.IsNull()) return Napi::Float32Array::New(env, length);
  const ArrayView<float> view = float32_array(out, "out");
  require(view.length == length, ErrorCode::DimMismatch,
          "out must have " + std::to_string(length) + " floats (got " + std::to_string(view.length) + ")");
  return out.As<Napi::Float32Array>();
}

Napi::Value external_of(Napi::Env env, TablePtr table) {
  return Napi::External<TablePtr>::New(env, new TablePtr(std::move(table)), [](Napi::Env, TablePtr* p) { delete p; });
}

size_t checked_size(size_t a, size_t b, const char* what) {
  require(b == 0 || a <= (size_t{1} << 40) / b, ErrorCode::OutOfRange, std::string(what) + " is too large");
  return a * b;
}

// (rows, dim, init kind, p1, p2, seed): a table's shape and seeded init, checked on the JS thread.
struct InitSpec {
  size_t rows = 0, dim = 0;
  std::string kind;
  float p1 = 0, p2 = 0;
  uint64_t seed = 0;
};

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

// ---- the wrapper -----------------------------------------------------------------------------

class EmbeddingTableWrap : public Napi::ObjectWrap<EmbeddingTableWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "EmbeddingTable",
                       {
                           InstanceMethod<&EmbeddingTableWrap::shape>("shape"),
                           InstanceMethod<&EmbeddingTableWrap::read_only>("readOnly"),
                           InstanceMethod<&EmbeddingTableWrap::get>("get"),
                           InstanceMethod<&EmbeddingTableWrap::set>("set"),
                           InstanceMethod<&EmbeddingTableWrap::data>("data"),
                           InstanceMethod<&EmbeddingTableWrap::lookup>("lookup"),
                           InstanceMethod<&EmbeddingTableWrap::lookup_async>("lookupAsync"),
                           InstanceMethod<&EmbeddingTableWrap::lookup_bag>("lookupBag"),
                           InstanceMethod<&EmbeddingTableWrap::lookup_bag_async>("lookupBagAsync"),
                           InstanceMethod<&EmbeddingTableWrap::backward>("backward"),
                           InstanceMethod<&EmbeddingTableWrap::backward_async>("backwardAsync"),
                           InstanceMethod<&EmbeddingTableWrap::step>("step"),
                           InstanceMethod<&EmbeddingTableWrap::step_async>("stepAsync"),
                           InstanceMethod<&EmbeddingTableWrap::optimizer_state>("optimizerState"),
                           InstanceMethod<&EmbeddingTableWrap::reset_optimizer>("resetOptimizer"),
                           InstanceMethod<&EmbeddingTableWrap::memory_usage>("memoryUsage"),
                           InstanceMethod<&EmbeddingTableWrap::clone>("clone"),
                           InstanceMethod<&EmbeddingTableWrap::save>("save"),
                           InstanceMethod<&EmbeddingTableWrap::save_async>("saveAsync"),
                           InstanceMethod<&EmbeddingTableWrap::to_buffer>("toBuffer"),
                           InstanceMethod<&EmbeddingTableWrap::to_buffer_async>("toBufferAsync"),
                           InstanceMethod<&EmbeddingTableWrap::dispose>("dispose"),
                           InstanceMethod<&EmbeddingTableWrap::disposed>("disposed"),
                       });
  }

  explicit EmbeddingTableWrap(const Napi::CallbackInfo& args) : Napi::ObjectWrap<EmbeddingTableWrap>(args) {
    translate_errors(args.Env(), [&] {
      if (args[0].IsExternal()) {
        table_ = *args[0].As<Napi::External<TablePtr>>().Data();
      } else {
        table_ = build_table(init_spec(args));
      }
      napi_type_tag_object(args.Env(), args.This(), &kTableTag);
    });
  }

  const TablePtr& table() const { return table_; }

 private:
  Napi::Value shape(const Napi::CallbackInfo& args) {
    Napi::Array a = Napi::Array::New(args.Env(), 2);
    a.Set(0u, static_cast<double>(table_->rows()));
    a.Set(1u, static_cast<double>(table_->dim()));
    return a;
  }

  Napi::Value read_only(const Napi::CallbackInfo& args) { return Napi::Boolean::New(args.Env(), table_->read_only()); }

  Napi::Value get(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const size_t row = static_cast<size_t>(integer_arg(args[0], "row", 0, int64_t{1} << 32));
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), table_->dim());
      table_->get_row(row, out.Data());
      return out;
    });
  }

  Napi::Value set(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const size_t row = static_cast<size_t>(integer_arg(args[0], "row", 0, int64_t{1} << 32));
      const ArrayView<float> v = float32_array(args[1], "vector");
      table_->set_row(row, v.data, v.length);
      return args.Env().Undefined();
    });
  }

  Napi::Value data(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), table_->rows() * table_->dim());
      table_->copy_all(out.Data());
      return out;
    });
  }

  // lookup(ids, isa?, out?) -> Float32Array(n × dim)
  Napi::Value lookup(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const IndexArray ids = index_array(args[0], "ids");
      const cpu::Kernels k = kernels_arg(args[1]);
      Napi::Float32Array out = output(args.Env(), args[2], checked_size(ids.length, table_->dim(), "the output"));
      table_->lookup(ids, out.Data(), k);
      return out;
    });
  }

  Napi::Value lookup_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      auto owned = std::make_shared<OwnedBatch>();
      owned->batch.ids = index_array(args[0], "ids");
      owned->batch.has_offsets = false;
      owned->own();
      Napi::Float32Array out = output(args.Env(), args[1], checked_size(owned->ids.size(), table_->dim(), "the output"));
      float* dst = out.Data();
      auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This(), out}, [t, owned, dst] { t->lookup(owned->batch.ids, dst, cpu::kernels()); },
          [result](Napi::Env) -> Napi::Value { return result->Value(); });
    });
  }

  // lookupBag(ids, offsets, mode, weights?, isa?, out?) -> Float32Array(bags × dim)
  Napi::Value lookup_bag(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const BagBatch b = batch_args(args, 0, false);
      const cpu::Kernels k = kernels_arg(args[4]);
      Napi::Float32Array out = output(args.Env(), args[5], checked_size(b.bags(), table_->dim(), "the output"));
      table_->lookup_bag(b, out.Data(), k);
      return out;
    });
  }

  Napi::Value lookup_bag_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      auto owned = std::make_shared<OwnedBatch>();
      owned->batch = batch_args(args, 0, false);
      owned->own();
      Napi::Float32Array out = output(args.Env(), args[4], checked_size(owned->batch.bags(), table_->dim(), "the output"));
      float* dst = out.Data();
      auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This(), out, args[3]}, [t, owned, dst] { t->lookup_bag(owned->batch, dst, cpu::kernels()); },
          [result](Napi::Env) -> Napi::Value { return result->Value(); });
    });
  }

  // backward(ids, offsets | null, mode, weights?, gradOut) -> { rows, grads, weightGrads? }
  Napi::Value backward(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const BagBatch b = batch_args(args, 0, true);
      const ArrayView<float> g = float32_array(args[4], "gradOut");
      const SparseGradient grad = table_->backward(b, g.data, g.length);
      return gradient_object(args.Env(), grad, b.weights != nullptr);
    });
  }

  Napi::Value backward_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      auto owned = std::make_shared<OwnedBatch>();
      owned->batch = batch_args(args, 0, true);
      owned->own();
      const ArrayView<float> g = float32_array(args[4], "gradOut");
      auto grad = std::make_shared<SparseGradient>();
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This(), args[3], args[4]},
          [t, owned, g, grad] { *grad = t->backward(owned->batch, g.data, g.length); },
          [grad, owned](Napi::Env env) -> Napi::Value {
            return gradient_object(env, *grad, owned->batch.weights != nullptr);
          });
    });
  }

  // step(ids, offsets | null, mode, weights?, gradOut, options) -> { rowsTouched, weightGrads? }
  Napi::Value step(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const BagBatch b = batch_args(args, 0, true);
      const ArrayView<float> g = float32_array(args[4], "gradOut");
      const SparseOptimizerConfig c = config_arg(args[5]);
      const EmbeddingTable::StepResult r = table_->step(b, g.data, g.length, c);
      return step_object(args.Env(), r, b.weights != nullptr);
    });
  }

  Napi::Value step_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      auto owned = std::make_shared<OwnedBatch>();
      owned->batch = batch_args(args, 0, true);
      owned->own();
      const ArrayView<float> g = float32_array(args[4], "gradOut");
      const SparseOptimizerConfig c = config_arg(args[5]);
      auto result = std::make_shared<EmbeddingTable::StepResult>();
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This(), args[3], args[4]},
          [t, owned, g, c, result] { *result = t->step(owned->batch, g.data, g.length, c); },
          [result, owned](Napi::Env env) -> Napi::Value {
            return step_object(env, *result, owned->batch.weights != nullptr);
          });
    });
  }

  Napi::Value optimizer_state(const Napi::CallbackInfo& args) {
    if (!table_->has_optimizer_state()) return args.Env().Null();
    switch (table_->optimizer_kind()) {
      case SparseOptimizer::Adagrad: return Napi::String::New(args.Env(), "adagrad");
      case SparseOptimizer::Adam: return Napi::String::New(args.Env(), "adam");
      default: return Napi::String::New(args.Env(), "sgd");
    }
  }

  Napi::Value reset_optimizer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      table_->reset_optimizer();
      return args.Env().Undefined();
    });
  }

  Napi::Value memory_usage(const Napi::CallbackInfo& args) {
    const EmbeddingMemory m = table_->memory();
    Napi::Object o = Napi::Object::New(args.Env());
    o.Set("tableBytes", static_cast<double>(m.table_bytes));
    o.Set("optimizerBytes", static_cast<double>(m.optimizer_bytes));
    o.Set("mapped", m.mapped);
    o.Set("totalBytes", static_cast<double>(m.table_bytes + m.optimizer_bytes));
    return o;
  }

  Napi::Value clone(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value { return external_of(args.Env(), table_->clone()); });
  }

  // save(path, withOptimizer) / saveAsync(...) / toBuffer(withOptimizer) -> Buffer
  Napi::Value save(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      EmbeddingTableIo::save(*table_, string_arg(args[0], "path"), args[1].ToBoolean());
      return args.Env().Undefined();
    });
  }

  Napi::Value save_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const std::string path = string_arg(args[0], "path");
      const bool with_optimizer = args[1].ToBoolean();
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This()}, [t, path, with_optimizer] { EmbeddingTableIo::save(*t, path, with_optimizer); },
          [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
    });
  }

  Napi::Value to_buffer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      return buffer_of(args.Env(), EmbeddingTableIo::to_buffer(*table_, args[0].ToBoolean()));
    });
  }

  Napi::Value to_buffer_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const bool with_optimizer = args[0].ToBoolean();
      auto bytes = std::make_shared<std::vector<uint8_t>>();
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This()}, [t, with_optimizer, bytes] { *bytes = EmbeddingTableIo::to_buffer(*t, with_optimizer); },
          [bytes](Napi::Env env) -> Napi::Value { return buffer_of(env, std::move(*bytes)); });
    });
  }

  Napi::Value dispose(const Napi::CallbackInfo& args) {
    table_->dispose();
    return args.Env().Undefined();
  }

  Napi::Value disposed(const Napi::CallbackInfo& args) { return Napi::Boolean::New(args.Env(), table_->disposed()); }

  TablePtr table_;
};

// embeddingTableFromArray(rows, dim, data: Float32Array) -> External
Napi::Value from_array(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const size_t rows = static_cast<size_t>(integer_arg(args[0], "rows", 1, int64_t{1} << 32));
    const size_t dim = static_cast<size_t>(integer_arg(args[1], "dim", 1, EmbeddingTable::kMaxDim));
    const ArrayView<float> data = float32_array(args[2], "data");
    require(data.length == checked_size(rows, dim, "rows * dim"), ErrorCode::DimMismatch,
            "data must have rows * dim = " + std::to_string(rows * dim) + " values (got " +
                std::to_string(data.length) + ")");
    auto table = std::make_shared<EmbeddingTable>(rows, dim);
    table->assign(data.data, data.length);
    return external_of(args.Env(), std::move(table));
  });
}

// embeddingTableLoad(path, mmap, withOptimizer) -> External
Napi::Value load(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    return external_of(args.Env(),
                       EmbeddingTableIo::load(string_arg(args[0], "path"), args[1].ToBoolean(), args[2].ToBoolean()));
  });
}

Napi::Value load_async(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const std::string path = string_arg(args[0], "path");
    const bool mmap = args[1].ToBoolean(), with_optimizer = args[2].ToBoolean();
    auto result = std::make_shared<TablePtr>();
    return run_async(
        args.Env(), {}, [path, mmap, with_optimizer, result] { *result = EmbeddingTableIo::load(path, mmap, with_optimizer); },
        [result](Napi::Env env) -> Napi::Value { return external_of(env, *result); });
  });
}

// embeddingTableFromBuffer(bytes: Uint8Array, withOptimizer) -> External
Napi::Value from_buffer(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const Napi::Value value = args[0];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      fail(ErrorCode::InvalidArg, "buffer must be a Buffer or Uint8Array");
    }
    const Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
    return external_of(args.Env(), EmbeddingTableIo::from_buffer(bytes.Data(), bytes.ElementLength(), args[1].ToBoolean()));
  });
}

Napi::Value from_buffer_async(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const Napi::Value value = args[0];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      fail(ErrorCode::InvalidArg, "buffer must be a Buffer or Uint8Array");
    }
    const Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
    const uint8_t* data = bytes.Data();
    const size_t size = bytes.ElementLength();
    const bool with_optimizer = args[1].ToBoolean();
    auto result = std::make_shared<TablePtr>();
    // The bytes stay referenced until the promise settles; the reader copies them before checking.
    return run_async(
        args.Env(), {value}, [data, size, with_optimizer, result] { *result = EmbeddingTableIo::from_buffer(data, size, with_optimizer); },
        [result](Napi::Env env) -> Napi::Value { return external_of(env, *result); });
  });
}

// embeddingTableCreateAsync(rows, dim, kind, p1, p2, seed) -> Promise<External>: allocation and the
// seeded fill (a second or more for large tables) off the event loop.
Napi::Value create_async(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const InitSpec spec = init_spec(args);
    auto result = std::make_shared<TablePtr>();
    return run_async(
        args.Env(), {}, [spec, result] { *result = build_table(spec); },
        [result](Napi::Env env) -> Napi::Value { return external_of(env, *result); });
  });
}

}  // namespace

std::shared_ptr<EmbeddingTable> embedding_table_from_js(const Napi::Value& value, const char* name) {
  bool tagged = false;
  if (value.IsObject()) napi_check_object_type_tag(value.Env(), value, &kTableTag, &tagged);
  if (!tagged) fail(ErrorCode::InvalidArg, std::string(name) + " must be an EmbeddingTable");
  return EmbeddingTableWrap::Unwrap(value.As<Napi::Object>())->table();
}

void register_embedding_table(Napi::Env env, Napi::Object exports) {
  exports.Set("EmbeddingTable", EmbeddingTableWrap::define(env));
  exports.Set("embeddingTableFromArray", Napi::Function::New(env, from_array, "embeddingTableFromArray"));
  exports.Set("embeddingTableLoad", Napi::Function::New(env, load, "embeddingTableLoad"));
  exports.Set("embeddingTableLoadAsync", Napi::Function::New(env, load_async, "embeddingTableLoadAsync"));
  exports.Set("embeddingTableFromBuffer", Napi::Function::New(env, from_buffer, "embeddingTableFromBuffer"));
  exports.Set("embeddingTableFromBufferAsync", Napi::Function::New(env, from_buffer_async, "embeddingTableFromBufferAsync"));
  exports.Set("embeddingTableCreateAsync", Napi::Function::New(env, create_async, "embeddingTableCreateAsync"));
}

}  // namespace reckit::binding
