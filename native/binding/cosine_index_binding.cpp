// CosineIndex for JS: a Napi::ObjectWrap over a shared core object. Async searches hold a reference to
// the core object (not the wrapper), so dispose() or garbage collection during a search is safe; the
// core's shared_mutex orders them. Static load/fromBuffer build instances through `this` (the class
// they are called on), so no constructor reference is kept anywhere (context-aware, worker-safe).
#include <napi.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/async_inputs.h"
#include "binding/embedding_table_binding.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/cosine_index.h"
#include "core/cuda_loader.h"
#include "cpu/dispatch.h"

namespace reckit::binding {
namespace {

constexpr double kMaxSafeId = 9007199254740991.0;
constexpr uint64_t kMaxOutputSlots = uint64_t{1} << 28;  // n * k: 3 GiB of results is a mistake

// Ids from a Uint32Array, Float64Array (safe integers) or BigUint64Array/BigInt64Array.
std::vector<uint64_t> id_list(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray()) {
    fail(ErrorCode::InvalidArg, std::string(name) + " must be a Uint32Array, Float64Array or BigUint64Array");
  }
  auto array = value.As<Napi::TypedArray>();
  const size_t n = array.ElementLength();
  const uint8_t* base = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
  std::vector<uint64_t> ids(n);
  switch (array.TypedArrayType()) {
    case napi_uint32_array:
      for (size_t i = 0; i < n; ++i) ids[i] = reinterpret_cast<const uint32_t*>(base)[i];
      break;
    case napi_float64_array:
      for (size_t i = 0; i < n; ++i) {
        const double v = reinterpret_cast<const double*>(base)[i];
        if (!(v >= 0 && v <= kMaxSafeId && std::floor(v) == v)) {
          fail(ErrorCode::OutOfRange, std::string(name) + "[" + std::to_string(i) +
                                          "] must be an integer in [0, 2^53-1] (got " + std::to_string(v) + ")");
        }
        ids[i] = static_cast<uint64_t>(v);
      }
      break;
    case napi_biguint64_array:
      for (size_t i = 0; i < n; ++i) ids[i] = reinterpret_cast<const uint64_t*>(base)[i];
      break;
    case napi_bigint64_array:
      for (size_t i = 0; i < n; ++i) {
        const int64_t v = reinterpret_cast<const int64_t*>(base)[i];
        if (v < 0) fail(ErrorCode::OutOfRange, std::string(name) + "[" + std::to_string(i) + "] is negative");
        ids[i] = static_cast<uint64_t>(v);
      }
      break;
    default:
      fail(ErrorCode::InvalidArg, std::string(name) + " must be a Uint32Array, Float64Array or BigUint64Array");
  }
  return ids;
}

uint64_t single_id(const Napi::Value& value, const char* name) {
  if (value.IsBigInt()) {
    bool lossless = false;
    const uint64_t v = value.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) fail(ErrorCode::OutOfRange, std::string(name) + " must be in [0, 2^64)");
    return v;
  }
  return static_cast<uint64_t>(integer_arg(value, name, 0, 9007199254740991LL));
}

cpu::Kernels kernels_for_name(const Napi::Value& value) {
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

IndexConfig config_arg(const Napi::Value& options) {
  require(options.IsObject(), ErrorCode::InvalidArg, "options must be an object");
  IndexConfig c;
  c.dim = static_cast<size_t>(integer_arg(option(options, "dim"), "dim", 1, 65536));
  const Napi::Value metric = option(options, "metric");
  const std::string m = metric.IsUndefined() ? "cosine" : string_arg(metric, "metric");
  if (m == "cosine") c.metric = Metric::Cosine;
  else if (m == "ip") c.metric = Metric::Ip;
  else fail(ErrorCode::InvalidArg, "metric must be 'cosine' or 'ip'");
  const Napi::Value storage = option(options, "storage");
  const std::string s = storage.IsUndefined() ? "f32" : string_arg(storage, "storage");
  if (s == "f32") c.storage = Storage::F32;
  else if (s == "bf16") c.storage = Storage::BF16;
  else if (s == "f16") c.storage = Storage::F16;
  else if (s == "i8") c.storage = Storage::I8;
  else fail(ErrorCode::InvalidArg, "storage must be 'f32', 'bf16', 'f16' or 'i8'");
  const Napi::Value rerank = option(options, "rerank");
  if (!rerank.IsUndefined()) {
    require(rerank.IsBoolean(), ErrorCode::InvalidArg, "rerank must be a boolean");
    c.rerank = rerank.As<Napi::Boolean>().Value();
  }
  return c;
}

// Everything a search needs, copied out of JS values so the async form can run off the JS thread.
struct SearchJob {
  std::shared_ptr<CosineIndex> index;
  SearchRequest request;
  std::vector<uint64_t> exclude_ids, exclude_offsets, filter_ids;
  bool bigint = false;
  std::vector<int64_t> ids;  // core output; copied into the JS ids array
  float* scores = nullptr;   // the JS Float32Array's memory
  void* ids_js = nullptr;    // Float64Array or BigInt64Array memory
};

class CosineIndexWrap : public Napi::ObjectWrap<CosineIndexWrap> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "NativeCosineIndex",
                       {InstanceMethod<&CosineIndexWrap::add>("add"),
                        InstanceMethod<&CosineIndexWrap::upsert>("upsert"),
                        InstanceMethod<&CosineIndexWrap::remove>("remove"),
                        InstanceMethod<&CosineIndexWrap::has>("has"),
                        InstanceMethod<&CosineIndexWrap::get>("get"),
                        InstanceMethod<&CosineIndexWrap::size>("size"),
                        InstanceMethod<&CosineIndexWrap::info>("info"),
                        InstanceMethod<&CosineIndexWrap::memory_usage>("memoryUsage"),
                        InstanceMethod<&CosineIndexWrap::dispose>("dispose"),
                        InstanceMethod<&CosineIndexWrap::set_device>("setDevice"),
                        InstanceMethod<&CosineIndexWrap::device>("device"),
                        InstanceMethod<&CosineIndexWrap::search_sync>("searchSync"),
                        InstanceMethod<&CosineIndexWrap::search_async>("search"),
                        InstanceMethod<&CosineIndexWrap::save>("save"),
                        InstanceMethod<&CosineIndexWrap::save_async>("saveAsync"),
                        InstanceMethod<&CosineIndexWrap::to_buffer>("toBuffer"),
                        StaticMethod<&CosineIndexWrap::load>("load"),
                        StaticMethod<&CosineIndexWrap::load_async>("loadAsync"),
                        StaticMethod<&CosineIndexWrap::from_buffer>("fromBuffer"),
                        StaticMethod<&CosineIndexWrap::from_table>("fromTable"),
                        StaticMethod<&CosineIndexWrap::from_table_async>("fromTableAsync")});
  }

  // new NativeCosineIndex(options) or, from load/fromBuffer, new NativeCosineIndex(External<holder>).
  explicit CosineIndexWrap(const Napi::CallbackInfo& args) : Napi::ObjectWrap<CosineIndexWrap>(args) {
    translate_errors(args.Env(), [&] {
      if (args[0].IsExternal()) {
        auto* holder = args[0].As<Napi::External<std::shared_ptr<CosineIndex>>>().Data();
        index_ = *holder;
        return;
      }
      const IndexConfig config = config_arg(args[0]);
      index_ = std::make_shared<CosineIndex>(config, kernels_for_name(option(args[0], "isa")));
    });
  }

 private:
  std::shared_ptr<CosineIndex> index_;

  void insert(const Napi::CallbackInfo& args, bool upsert) {
    translate_errors(args.Env(), [&] {
      const std::vector<uint64_t> ids = id_list(args[0], "ids");
      const ArrayView<float> v = float32_array(args[1], "vectors");
      const size_t d = index_->dim();
      require(v.length == ids.size() * d, ErrorCode::DimMismatch,
              "vectors must hold ids.length x dim = " + std::to_string(ids.size()) + " x " + std::to_string(d) +
                  " values (got " + std::to_string(v.length) + ")");
      if (upsert) index_->upsert(ids.data(), ids.size(), v.data);
      else index_->add(ids.data(), ids.size(), v.data);
    });
  }
  Napi::Value add(const Napi::CallbackInfo& args) {
    insert(args, false);
    return args.Env().Undefined();
  }
  Napi::Value upsert(const Napi::CallbackInfo& args) {
    insert(args, true);
    return args.Env().Undefined();
  }
  Napi::Value remove(const Napi::CallbackInfo& args) {
    translate_errors(args.Env(), [&] {
      const std::vector<uint64_t> ids = id_list(args[0], "ids");
      index_->remove(ids.data(), ids.size());
    });
    return args.Env().Undefined();
  }
  Napi::Value has(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&] { return Napi::Boolean::New(args.Env(), index_->has(single_id(args[0], "id"))); });
  }
  Napi::Value get(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const uint64_t id = single_id(args[0], "id");
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(index_->dim()));
      if (!index_->get(id, out.Data())) return args.Env().Undefined();
      return out;
    });
  }
  Napi::Value size(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&] {
      require(!index_->disposed(), ErrorCode::Disposed, "the CosineIndex was disposed");
      return Napi::Number::New(args.Env(), static_cast<double>(index_->size()));
    });
  }
  Napi::Value info(const Napi::CallbackInfo& args) {
    Napi::Env env = args.Env();
    const IndexConfig& c = index_->config();
    Napi::Object o = Napi::Object::New(env);
    o.Set("dim", static_cast<double>(c.dim));
    o.Set("metric", metric_name(c.metric));
    o.Set("storage", storage_name(c.storage));
    o.Set("rerank", c.rerank);
    return o;
  }
  Napi::Value memory_usage(const Napi::CallbackInfo& args) {
    Napi::Env env = args.Env();
    const MemoryUsage m = index_->memory_usage();
    Napi::Object o = Napi::Object::New(env);
    o.Set("vectors", static_cast<double>(m.vectors));
    o.Set("rerank", static_cast<double>(m.rerank));
    o.Set("ids", static_cast<double>(m.ids));
    o.Set("total", static_cast<double>(m.total()));
    o.Set("device", static_cast<double>(index_->device_bytes()));
    return o;
  }
  // setDevice('cpu' | 'cuda' | 'auto'): where searches run; 'auto' is CUDA when usable, else the CPU.
  Napi::Value set_device(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&] {
      const std::string name = string_arg(args[0], "device");
      require(name == "cpu" || name == "cuda" || name == "auto", ErrorCode::InvalidArg,
              "device must be 'cpu', 'cuda' or 'auto'");
      const bool cuda = name == "cuda" || (name == "auto" && cuda_api() != nullptr);
      index_->set_device(cuda ? Device::Cuda : Device::Cpu);
      return args.Env().Undefined();
    });
  }
  Napi::Value device(const Napi::CallbackInfo& args) {
    return Napi::String::New(args.Env(), index_->device() == Device::Cuda ? "cuda" : "cpu");
  }
  Napi::Value dispose(const Napi::CallbackInfo& args) {
    index_->dispose();
    return args.Env().Undefined();
  }

  // searchSync/search(queries, k, excludeIds?, excludeOffsets?, filterIds?, filterAllow?, bigint?)
  // -> { ids, scores }. Outputs are allocated here, on the JS thread.
  std::shared_ptr<SearchJob> parse_search(const Napi::CallbackInfo& args, Napi::Object& result,
                                          std::vector<Napi::Value>& keep) {
    Napi::Env env = args.Env();
    auto job = std::make_shared<SearchJob>();
    job->index = index_;
    const ArrayView<float> q = float32_array(args[0], "queries");
    const size_t d = index_->dim();
    require(q.length > 0 && q.length % d == 0, ErrorCode::DimMismatch,
            "queries must hold n x dim values with n >= 1 (dim " + std::to_string(d) + ", got " +
                std::to_string(q.length) + ")");
    const size_t n = q.length / d;
    const int64_t k = integer_arg(args[1], "k", 1, int64_t{1} << 31);
    require(static_cast<uint64_t>(n) * static_cast<uint64_t>(k) <= kMaxOutputSlots, ErrorCode::OutOfRange,
            "n x k must be at most 2^28 result slots");
    job->request.queries = q.data;
    job->request.n = n;
    job->request.k = static_cast<size_t>(k);
    if (!args[2].IsUndefined() && !args[2].IsNull()) {
      job->exclude_ids = id_list(args[2], "exclude.ids");
      job->exclude_offsets = id_list(args[3], "exclude.offsets");
      require(job->exclude_offsets.size() == n + 1, ErrorCode::DimMismatch,
              "exclude.offsets must have n + 1 = " + std::to_string(n + 1) + " entries (got " +
                  std::to_string(job->exclude_offsets.size()) + ")");
      require(job->exclude_offsets[0] == 0 && job->exclude_offsets[n] == job->exclude_ids.size(),
              ErrorCode::OutOfRange, "exclude.offsets must start at 0 and end at exclude.ids.length");
      for (size_t i = 0; i < n; ++i) {
        require(job->exclude_offsets[i] <= job->exclude_offsets[i + 1], ErrorCode::OutOfRange,
                "exclude.offsets must be non-decreasing (offsets[" + std::to_string(i + 1) + "] < offsets[" +
                    std::to_string(i) + "])");
      }
      job->request.exclude_ids = job->exclude_ids.data();
      job->request.exclude_offsets = job->exclude_offsets.data();
    }
    if (!args[4].IsUndefined() && !args[4].IsNull()) {
      job->filter_ids = id_list(args[4], "filter ids");
      require(args[5].IsBoolean(), ErrorCode::InvalidArg, "filterAllow must be a boolean");
      job->request.filter_ids = job->filter_ids.data();
      job->request.filter_count = job->filter_ids.size();
      job->request.filter_allow = args[5].As<Napi::Boolean>().Value();
      job->request.has_filter = true;
    }
    job->bigint = args[6].IsBoolean() && args[6].As<Napi::Boolean>().Value();
    const size_t slots = n * static_cast<size_t>(k);
    Napi::Float32Array scores = Napi::Float32Array::New(env, js_length<float>(slots));
    job->scores = scores.Data();
    Napi::TypedArray ids;
    if (job->bigint) {
      auto a = Napi::BigInt64Array::New(env, js_length<int64_t>(slots));
      job->ids_js = a.Data();
      ids = a;
    } else {
      auto a = Napi::Float64Array::New(env, js_length<double>(slots));
      job->ids_js = a.Data();
      ids = a;
    }
    job->ids.resize(slots);
    result = Napi::Object::New(env);
    result.Set("ids", ids);
    result.Set("scores", scores);
    keep = {args[0], result};
    return job;
  }

  static void compute(SearchJob& job) {
    job.index->search(job.request, job.ids.data(), job.scores);
    const size_t slots = job.ids.size();
    if (job.bigint) {
      std::copy(job.ids.begin(), job.ids.end(), static_cast<int64_t*>(job.ids_js));
    } else {
      auto* out = static_cast<double*>(job.ids_js);
      for (size_t i = 0; i < slots; ++i) {
        // Ids above 2^53-1 cannot be numbers: the caller must ask for bigint ids.
        require(job.ids[i] <= 9007199254740991LL, ErrorCode::OutOfRange,
                "a result id is above 2^53-1; search with { bigint: true }");
        out[i] = static_cast<double>(job.ids[i]);
      }
    }
  }

  Napi::Value search_sync(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      Napi::Object result;
      std::vector<Napi::Value> keep;
      auto job = parse_search(args, result, keep);
      compute(*job);
      return result;
    });
  }

  Napi::Value search_async(const Napi::CallbackInfo& args) {
    Napi::Env env = args.Env();
    try {
      return translate_errors(env, [&]() -> Napi::Value {
        AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
        Napi::Object result;
        std::vector<Napi::Value> keep;
        auto job = parse_search(args, result, keep);
        auto result_ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(result));
        return run_async(
            env, keep, [job] { compute(*job); },
            [result_ref](Napi::Env) -> Napi::Value { return result_ref->Value(); });
      });
    } catch (const Napi::Error& e) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(e.Value());
      return deferred.Promise();
    }
  }

  Napi::Value save(const Napi::CallbackInfo& args) {
    translate_errors(args.Env(), [&] { index_->save(string_arg(args[0], "path")); });
    return args.Env().Undefined();
  }
  Napi::Value save_async(const Napi::CallbackInfo& args) {
    Napi::Env env = args.Env();
    try {
      return translate_errors(env, [&]() -> Napi::Value {
        const std::string path = string_arg(args[0], "path");
        auto index = index_;
        return run_async(env, {}, [index, path] { index->save(path); },
                         [](Napi::Env e) -> Napi::Value { return e.Undefined(); });
      });
    } catch (const Napi::Error& e) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(e.Value());
      return deferred.Promise();
    }
  }
  Napi::Value to_buffer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      std::vector<uint8_t> bytes = index_->to_buffer();
      return Napi::Buffer<uint8_t>::Copy(args.Env(), bytes.data(), bytes.size());
    });
  }

  static Napi::Value wrap(const Napi::CallbackInfo& args, std::shared_ptr<CosineIndex> index) {
    std::shared_ptr<CosineIndex> holder = std::move(index);
    auto ext = Napi::External<std::shared_ptr<CosineIndex>>::New(args.Env(), &holder);
    return args.This().As<Napi::Function>().New({ext});
  }
  static Napi::Value load(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const std::string path = string_arg(args[0], "path");
      const bool mmap = args[1].IsBoolean() && args[1].As<Napi::Boolean>().Value();
      return wrap(args, std::shared_ptr<CosineIndex>(CosineIndex::load(path, mmap, kernels_for_name(args[2]))));
    });
  }
  static Napi::Value load_async(const Napi::CallbackInfo& args) {
    Napi::Env env = args.Env();
    try {
      return translate_errors(env, [&]() -> Napi::Value {
        const std::string path = string_arg(args[0], "path");
        const bool mmap = args[1].IsBoolean() && args[1].As<Napi::Boolean>().Value();
        const cpu::Kernels kernels = kernels_for_name(args[2]);
        auto loaded = std::make_shared<std::shared_ptr<CosineIndex>>();
        auto ctor = std::make_shared<Napi::FunctionReference>(Napi::Persistent(args.This().As<Napi::Function>()));
        return run_async(
            env, {}, [loaded, path, mmap, kernels] { *loaded = CosineIndex::load(path, mmap, kernels); },
            [loaded, ctor](Napi::Env e) -> Napi::Value {
              auto ext = Napi::External<std::shared_ptr<CosineIndex>>::New(e, loaded.get());
              return ctor->Value().New({ext});
            });
      });
    } catch (const Napi::Error& e) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(e.Value());
      return deferred.Promise();
    }
  }
  // fromTable(table, options, ids?): an index over an EmbeddingTable's rows, read in place under the
  // table's read lock (no JS copy); ids default to the row numbers 0..rows-1.
  struct FromTable {
    std::shared_ptr<EmbeddingTable> table;
    IndexConfig config;
    cpu::Kernels kernels;
    std::vector<uint64_t> ids;
    bool default_ids = true;
  };
  static FromTable from_table_args(const Napi::CallbackInfo& args) {
    FromTable f;
    f.table = embedding_table_from_js(args[0], "table");
    require(args[1].IsObject(), ErrorCode::InvalidArg, "options must be an object");
    f.config = config_arg(args[1]);
    f.kernels = kernels_for_name(option(args[1], "isa"));
    if (!args[2].IsUndefined() && !args[2].IsNull()) {
      f.ids = id_list(args[2], "ids");
      f.default_ids = false;
    }
    return f;
  }
  static std::shared_ptr<CosineIndex> build_from_table(FromTable& f) {
    const EmbeddingReadView view = f.table->read_view();
    require(view.dim == f.config.dim, ErrorCode::DimMismatch, "dim must equal the table's dim");
    if (f.default_ids) {
      f.ids.resize(view.rows);
      for (size_t r = 0; r < view.rows; ++r) f.ids[r] = r;
    }
    require(f.ids.size() == view.rows, ErrorCode::DimMismatch,
            "ids must have one id per table row (" + std::to_string(view.rows) + ", got " + std::to_string(f.ids.size()) + ")");
    auto index = std::make_shared<CosineIndex>(f.config, f.kernels);
    index->add(f.ids.data(), f.ids.size(), view.data);
    return index;
  }
  static Napi::Value from_table(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      FromTable f = from_table_args(args);
      return wrap(args, build_from_table(f));
    });
  }
  static Napi::Value from_table_async(const Napi::CallbackInfo& args) {
    Napi::Env env = args.Env();
    try {
      return translate_errors(env, [&]() -> Napi::Value {
        auto f = std::make_shared<FromTable>(from_table_args(args));
        auto built = std::make_shared<std::shared_ptr<CosineIndex>>();
        auto ctor = std::make_shared<Napi::FunctionReference>(Napi::Persistent(args.This().As<Napi::Function>()));
        return run_async(
            env, {args[0]}, [f, built] { *built = build_from_table(*f); },
            [built, ctor](Napi::Env e) -> Napi::Value {
              auto ext = Napi::External<std::shared_ptr<CosineIndex>>::New(e, built.get());
              return ctor->Value().New({ext});
            });
      });
    } catch (const Napi::Error& e) {
      auto deferred = Napi::Promise::Deferred::New(env);
      deferred.Reject(e.Value());
      return deferred.Promise();
    }
  }
  static Napi::Value from_buffer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      require(args[0].IsTypedArray(), ErrorCode::InvalidArg, "buffer must be a Uint8Array or Buffer");
      auto array = args[0].As<Napi::TypedArray>();
      require(array.TypedArrayType() == napi_uint8_array, ErrorCode::InvalidArg, "buffer must be a Uint8Array or Buffer");
      const uint8_t* data = static_cast<const uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset();
      return wrap(args, std::shared_ptr<CosineIndex>(CosineIndex::from_buffer(data, array.ByteLength(),
                                                                              kernels_for_name(args[1]))));
    });
  }
};

}  // namespace

void register_cosine_index(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeCosineIndex", CosineIndexWrap::define(env));
}

}  // namespace reckit::binding
