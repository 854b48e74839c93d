// The native EmbeddingTable class (Napi::ObjectWrap over a shared core table) and its factories.
// Construction from JS takes (rows, dim, init kind, p1, p2, seed); factories (fromArray, load, clone)
// return an External that lib/embedding-table.ts adopts with `new`, so no constructor is kept in
// static or per-env state. Async forms read their inputs inside an AsyncInputs scope, which copies them once
// (the worker keeps the copies until it settles), and validate again on the worker under the table's lock.
#include "binding/embedding_table_binding.h"

#include <cstring>
#include <memory>
#include <vector>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/async_inputs.h"
#include "binding/embedding_table_args.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/cuda_loader.h"
#include "core/embedding_table.h"
#include "core/embedding_table_io.h"
#include "cpu/dispatch.h"

namespace reckit::binding {
namespace {

using namespace emb;  // the argument readers and result builders of embedding_table_args.h

// Marks our wrapper objects so embedding_table_from_js never unwraps a foreign object.
constexpr napi_type_tag kTableTag = {0x7265636b69742d65ULL, 0x6d6265642d746162ULL};

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
                           InstanceMethod<&EmbeddingTableWrap::device>("device"),
                           InstanceMethod<&EmbeddingTableWrap::to_device>("toDevice"),
                           InstanceMethod<&EmbeddingTableWrap::to_device_async>("toDeviceAsync"),
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
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(table_->dim()));
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
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(table_->rows() * table_->dim()));
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
      AsyncInputs inputs;  // inputs read below are copied (once): JS may detach them mid-call
      const IndexArray ids = index_array(args[0], "ids");
      auto out = async_output(args.Env(), args[1], checked_size(ids.length, table_->dim(), "the output"));
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This()}, [t, ids, out] { t->lookup(ids, out->dst, cpu::kernels()); },
          [out](Napi::Env env) -> Napi::Value { return out->settle(env); });
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
      AsyncInputs inputs;  // inputs read below are copied (once): JS may detach them mid-call
      const BagBatch batch = batch_args(args, 0, false);
      auto out = async_output(args.Env(), args[4], checked_size(batch.bags(), table_->dim(), "the output"));
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This()}, [t, batch, out] { t->lookup_bag(batch, out->dst, cpu::kernels()); },
          [out](Napi::Env env) -> Napi::Value { return out->settle(env); });
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
      AsyncInputs inputs;  // inputs read below are copied (once): JS may detach them mid-call
      const BagBatch batch = batch_args(args, 0, true);
      const ArrayView<float> g = float32_array(args[4], "gradOut");
      auto grad = std::make_shared<SparseGradient>();
      TablePtr t = table_;
      const bool weighted = batch.weights != nullptr;
      return run_async(
          args.Env(), {args.This(), args[3], args[4]}, [t, batch, g, grad] { *grad = t->backward(batch, g.data, g.length); },
          [grad, weighted](Napi::Env env) -> Napi::Value { return gradient_object(env, *grad, weighted); });
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
      AsyncInputs inputs;  // inputs read below are copied (once): JS may detach them mid-call
      const BagBatch batch = batch_args(args, 0, true);
      const ArrayView<float> g = float32_array(args[4], "gradOut");
      const SparseOptimizerConfig c = config_arg(args[5]);
      auto result = std::make_shared<EmbeddingTable::StepResult>();
      TablePtr t = table_;
      const bool weighted = batch.weights != nullptr;
      return run_async(
          args.Env(), {args.This(), args[3], args[4]},
          [t, batch, g, c, result] { *result = t->step(batch, g.data, g.length, c); },
          [result, weighted](Napi::Env env) -> Napi::Value { return step_object(env, *result, weighted); });
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
    o.Set("deviceBytes", static_cast<double>(m.device_bytes));
    o.Set("totalBytes", static_cast<double>(m.host_bytes));
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

  Napi::Value device(const Napi::CallbackInfo& args) {
    return Napi::String::New(args.Env(), table_->on_device() ? "cuda" : "cpu");
  }

  // toDevice('auto' | 'cpu' | 'cuda'): 'cuda' moves the table to the device (ERR_RECKIT_NO_DEVICE with the
  // reason when CUDA is unusable, ERR_RECKIT_OUT_OF_MEMORY when it cannot hold the table); 'auto' does so only
  // when CUDA is usable and the table fits, and lets later out-of-memory move it back (EmbeddingTable::to_device);
  // 'cpu' leaves it where it is. The async form moves it on the pool.
  enum class Move { None, Cuda, Auto };
  static Move wanted_move(const Napi::Value& value) {
    const std::string device = string_arg(value, "device");
    require(device == "cpu" || device == "cuda" || device == "auto", ErrorCode::InvalidArg,
            "device must be 'cpu', 'cuda' or 'auto'");
    if (device == "cuda") {
      require(cuda_api() != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
      return Move::Cuda;
    }
    return device == "auto" && cuda_api() != nullptr ? Move::Auto : Move::None;
  }

  Napi::Value to_device(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const Move move = wanted_move(args[0]);
      if (move != Move::None) table_->to_device(move == Move::Auto);
      return args.Env().Undefined();
    });
  }

  Napi::Value to_device_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const Move move = wanted_move(args[0]);
      TablePtr t = table_;
      return run_async(
          args.Env(), {args.This()}, [t, move] { if (move != Move::None) t->to_device(move == Move::Auto); },
          [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
    });
  }

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
    AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
    const Napi::Value value = args[0];
    if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      fail(ErrorCode::InvalidArg, "buffer must be a Buffer or Uint8Array");
    }
    const Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
    const size_t size = bytes.ElementLength();
    const uint8_t* data = AsyncInputs::stable(static_cast<const uint8_t*>(bytes.Data()), size);
    const bool with_optimizer = args[1].ToBoolean();
    auto result = std::make_shared<TablePtr>();
    // `data` is a copy (AsyncInputs): the caller may transfer the buffer while this runs.
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
