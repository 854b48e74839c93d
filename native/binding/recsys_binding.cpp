// The recommenders' native ops: cosine neighbours and the two-hop scoring of ItemKNN/UserKNN, and BPR's
// epoch loop, step and scoring over EmbeddingTables. Sparse matrices arrive as (offsets Int32Array,
// indices Int32Array, values Float32Array, rows, cols) and are validated before use; async forms copy
// what they read so the JS arrays may change meanwhile.
#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/async_inputs.h"
#include "binding/embedding_table_args.h"
#include "binding/embedding_table_binding.h"
#include "binding/errors.h"
#include "binding/progress_worker.h"
#include "binding/registry.h"
#include "core/error.h"
#include "core/recsys_bpr.h"
#include "core/recsys_sparse.h"

namespace reckit::binding {
namespace {

ArrayView<int32_t> int32_array(const Napi::Value& value, const char* name) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    fail(ErrorCode::InvalidArg, std::string(name) + " must be an Int32Array");
  }
  auto a = value.As<Napi::TypedArray>();
  auto* base = static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset();
  return ArrayView<int32_t>{AsyncInputs::stable(reinterpret_cast<int32_t*>(base), a.ElementLength()), a.ElementLength()};
}

// A CSR argument copied into owned storage (validated), from args[first .. first + 4].
CsrMatrix csr_args(const Napi::CallbackInfo& args, size_t first, const char* name) {
  const std::string n(name);
  const ArrayView<int32_t> off = int32_array(args[first], (n + ".offsets").c_str());
  const ArrayView<int32_t> idx = int32_array(args[first + 1], (n + ".indices").c_str());
  const ArrayView<float> val = float32_array(args[first + 2], (n + ".values").c_str());
  CsrMatrix m;
  m.rows = static_cast<size_t>(integer_arg(args[first + 3], (n + ".rows").c_str(), 0, INT32_MAX - 1));
  m.cols = static_cast<size_t>(integer_arg(args[first + 4], (n + ".cols").c_str(), 1, INT32_MAX));
  require(off.length == m.rows + 1, ErrorCode::DimMismatch, n + ".offsets must have rows + 1 entries");
  require(idx.length == val.length, ErrorCode::DimMismatch, n + ".indices and values differ in length");
  m.offsets.assign(off.data, off.data + off.length);
  m.indices.assign(idx.data, idx.data + idx.length);
  m.values.assign(val.data, val.data + val.length);
  validate_csr(m.view(), idx.length, name);
  return m;
}

Napi::Object csr_to_js(Napi::Env env, const CsrMatrix& m) {
  Napi::Object o = Napi::Object::New(env);
  auto off = Napi::Int32Array::New(env, js_length<int32_t>(m.offsets.size()));
  std::copy(m.offsets.begin(), m.offsets.end(), off.Data());
  auto idx = Napi::Int32Array::New(env, js_length<int32_t>(m.indices.size()));
  std::copy(m.indices.begin(), m.indices.end(), idx.Data());
  auto val = Napi::Float32Array::New(env, js_length<float>(m.values.size()));
  std::copy(m.values.begin(), m.values.end(), val.Data());
  o.Set("offsets", off);
  o.Set("indices", idx);
  o.Set("values", val);
  o.Set("rows", static_cast<double>(m.rows));
  o.Set("cols", static_cast<double>(m.cols));
  return o;
}

template <typename Make>
Napi::Value rejecting(Napi::Env env, Make make) {
  try {
    return translate_errors(env, make);
  } catch (const Napi::Error& e) {
    auto deferred = Napi::Promise::Deferred::New(env);
    deferred.Reject(e.Value());
    return deferred.Promise();
  }
}

// knnNeighbours(offsets, indices, values, rows, cols, k, shrink) -> CSR rows × rows
Napi::Value knn_neighbours(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const CsrMatrix m = csr_args(args, 0, "matrix");
    const size_t k = static_cast<size_t>(integer_arg(args[5], "neighbours", 1, INT32_MAX));
    const float shrink = static_cast<float>(number_arg(args[6], "shrink"));
    return csr_to_js(args.Env(), cosine_neighbours(m.view(), k, shrink));
  });
}

Napi::Value knn_neighbours_async(const Napi::CallbackInfo& args) {
  return rejecting(args.Env(), [&]() -> Napi::Value {
    AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
    auto m = std::make_shared<CsrMatrix>(csr_args(args, 0, "matrix"));
    const size_t k = static_cast<size_t>(integer_arg(args[5], "neighbours", 1, INT32_MAX));
    const float shrink = static_cast<float>(number_arg(args[6], "shrink"));
    auto out = std::make_shared<CsrMatrix>();
    return run_async(
        args.Env(), {}, [m, k, shrink, out] { *out = cosine_neighbours(m->view(), k, shrink); },
        [out](Napi::Env env) -> Napi::Value { return csr_to_js(env, *out); });
  });
}

// twoHop(A: 5 args, B: 5 args, rows Int32Array) -> Float32Array rows.length × B.cols
struct TwoHopJob {
  CsrMatrix a, b;
  std::vector<int32_t> rows;
  float* out = nullptr;
};

std::shared_ptr<TwoHopJob> two_hop_job(const Napi::CallbackInfo& args, Napi::Float32Array& out) {
  auto job = std::make_shared<TwoHopJob>();
  job->a = csr_args(args, 0, "a");
  job->b = csr_args(args, 5, "b");
  require(job->a.cols == job->b.rows, ErrorCode::DimMismatch, "a.cols must equal b.rows");
  const ArrayView<int32_t> rows = int32_array(args[10], "rows");
  job->rows.assign(rows.data, rows.data + rows.length);
  for (size_t i = 0; i < rows.length; ++i) {
    require(rows.data[i] >= 0 && static_cast<size_t>(rows.data[i]) < job->a.rows, ErrorCode::OutOfRange,
            "rows[" + std::to_string(i) + "] = " + std::to_string(rows.data[i]) + " is outside 0.." +
                std::to_string(job->a.rows - 1));
  }
  out = Napi::Float32Array::New(args.Env(), js_length<float>(rows.length * job->b.cols));
  job->out = out.Data();
  return job;
}

Napi::Value two_hop_sync(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    Napi::Float32Array out;
    auto job = two_hop_job(args, out);
    two_hop(job->a.view(), job->b.view(), job->rows.data(), job->rows.size(), job->out);
    return out;
  });
}

Napi::Value two_hop_async(const Napi::CallbackInfo& args) {
  return rejecting(args.Env(), [&]() -> Napi::Value {
    AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
    Napi::Float32Array out;
    auto job = two_hop_job(args, out);
    auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
    return run_async(
        args.Env(), {out}, [job] { two_hop(job->a.view(), job->b.view(), job->rows.data(), job->rows.size(), job->out); },
        [ref](Napi::Env) -> Napi::Value { return ref->Value(); });
  });
}

// ---- BPR ---------------------------------------------------------------------------------------

struct BprHandles {
  std::shared_ptr<EmbeddingTable> users, items, bias;
  BprTables tables() const { return BprTables{users.get(), items.get(), bias.get()}; }
};

BprHandles bpr_handles(const Napi::CallbackInfo& args, size_t first) {
  BprHandles h;
  h.users = embedding_table_from_js(args[first], "users");
  h.items = embedding_table_from_js(args[first + 1], "items");
  if (!args[first + 2].IsUndefined() && !args[first + 2].IsNull()) h.bias = embedding_table_from_js(args[first + 2], "bias");
  bpr_check_tables(h.tables(), nullptr);
  return h;
}

BprOptions bpr_options(const Napi::Value& o) {
  BprOptions b;
  b.optimizer = emb::config_arg(o);
  const Napi::Value reg = option(o, "reg");
  b.reg = reg.IsUndefined() ? 0.01f : static_cast<float>(number_arg(reg, "reg"));
  require(std::isfinite(b.reg) && b.reg >= 0, ErrorCode::OutOfRange, "reg must be a finite number >= 0");
  const Napi::Value batch = option(o, "batch");
  b.batch = batch.IsUndefined() ? 256 : static_cast<size_t>(integer_arg(batch, "batch", 1, 1 << 24));
  return b;
}

std::vector<uint32_t> triple_ids(const Napi::Value& v, const char* name) {
  const ArrayView<int32_t> a = int32_array(v, name);
  std::vector<uint32_t> out(a.length);
  for (size_t s = 0; s < a.length; ++s) {
    require(a.data[s] >= 0, ErrorCode::OutOfRange, std::string(name) + "[" + std::to_string(s) + "] is negative");
    out[s] = static_cast<uint32_t>(a.data[s]);
  }
  return out;
}

// bprStep(users, items, bias?, u, i, j, options) -> summed loss before the update
Napi::Value bpr_step_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const BprHandles h = bpr_handles(args, 0);
    const std::vector<uint32_t> u = triple_ids(args[3], "u"), i = triple_ids(args[4], "i"), j = triple_ids(args[5], "j");
    require(u.size() == i.size() && u.size() == j.size(), ErrorCode::DimMismatch, "u, i and j differ in length");
    const BprOptions o = bpr_options(args[6]);
    return Napi::Number::New(args.Env(), bpr_step(h.tables(), u.data(), i.data(), j.data(), u.size(), o));
  });
}

// bprSample(offsets, indices, values, rows, cols, seed, epoch, first, n) -> { u, i, j }
Napi::Value bpr_sample_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const CsrMatrix m = csr_args(args, 0, "seen");
    const uint64_t seed = seed_arg(args[5], "seed");
    const uint64_t epoch = static_cast<uint64_t>(integer_arg(args[6], "epoch", 0, int64_t{1} << 40));
    const uint64_t first = static_cast<uint64_t>(integer_arg(args[7], "first", 0, int64_t{1} << 50));
    const size_t n = static_cast<size_t>(integer_arg(args[8], "n", 0, int64_t{1} << 28));
    Napi::Env env = args.Env();
    auto u = Napi::Uint32Array::New(env, js_length<uint32_t>(n)), i = Napi::Uint32Array::New(env, js_length<uint32_t>(n)), j = Napi::Uint32Array::New(env, js_length<uint32_t>(n));
    bpr_sample(m.view(), seed, epoch, first, n, u.Data(), i.Data(), j.Data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("u", u);
    o.Set("i", i);
    o.Set("j", j);
    return o;
  });
}

struct EpochReport {
  size_t epoch;
  double loss;
};

// bprTrainAsync(users, items, bias?, offsets, indices, values, rows, cols, options{epochs, seed, ...}, onEpoch?, token?)
//   -> { losses, aborted }; a cancelled run stops after the current epoch.
Napi::Value bpr_train_async(const Napi::CallbackInfo& args) {
  return rejecting(args.Env(), [&]() -> Napi::Value {
    AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
    auto h = std::make_shared<BprHandles>(bpr_handles(args, 0));
    auto m = std::make_shared<CsrMatrix>(csr_args(args, 3, "seen"));
    bpr_check_tables(h->tables(), nullptr);
    const CsrView v = m->view();
    bpr_check_tables(h->tables(), &v);
    const BprOptions o = bpr_options(args[8]);
    const size_t epochs = static_cast<size_t>(integer_arg(option(args[8], "epochs"), "epochs", 0, 1 << 20));
    const uint64_t seed = seed_arg(option(args[8], "seed"), "seed");
    CancelFlag cancel = cancel_flag_arg(args[10], "token");
    auto losses = std::make_shared<std::vector<double>>();
    return ProgressWorker<EpochReport>::run(
        args.Env(), {args[0], args[1], args[2]}, args[9],
        [h, m, o, epochs, seed, cancel, losses](const ProgressWorker<EpochReport>::Send& send) {
          *losses = bpr_train(h->tables(), m->view(), epochs, seed, o, [&](size_t e, double loss) {
            send(EpochReport{e, loss});
            return !cancel->load();
          });
        },
        [](Napi::Env env, const Napi::Function& cb, const EpochReport& r) {
          cb.Call({Napi::Number::New(env, static_cast<double>(r.epoch)), Napi::Number::New(env, r.loss)});
        },
        [losses, cancel](Napi::Env env) -> Napi::Value {
          auto a = Napi::Float64Array::New(env, js_length<double>(losses->size()));
          std::copy(losses->begin(), losses->end(), a.Data());
          Napi::Object o = Napi::Object::New(env);
          o.Set("losses", a);
          o.Set("aborted", cancel->load());
          return o;
        });
  });
}

// bprScore(users, items, bias?, userVectors) / bprScoreAsync -> Float32Array n × items
struct ScoreJob {
  BprHandles h;
  std::vector<float> vectors;
  size_t n = 0;
  float* out = nullptr;
};

std::shared_ptr<ScoreJob> score_job(const Napi::CallbackInfo& args, Napi::Float32Array& out) {
  auto job = std::make_shared<ScoreJob>();
  job->h = bpr_handles(args, 0);
  const ArrayView<float> v = float32_array(args[3], "userVectors");
  const size_t d = job->h.items->dim();
  require(v.length % d == 0, ErrorCode::DimMismatch, "userVectors must hold n × dim values");
  job->n = v.length / d;
  job->vectors.assign(v.data, v.data + v.length);
  out = Napi::Float32Array::New(args.Env(), js_length<float>(job->n * job->h.items->rows()));
  job->out = out.Data();
  return job;
}

Napi::Value bpr_score_sync(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    Napi::Float32Array out;
    auto job = score_job(args, out);
    if (job->n > 0) bpr_score(job->h.tables(), job->vectors.data(), job->n, job->out);
    return out;
  });
}

Napi::Value bpr_score_async(const Napi::CallbackInfo& args) {
  return rejecting(args.Env(), [&]() -> Napi::Value {
    AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
    Napi::Float32Array out;
    auto job = score_job(args, out);
    auto ref = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
    return run_async(
        args.Env(), {out}, [job] { if (job->n > 0) bpr_score(job->h.tables(), job->vectors.data(), job->n, job->out); },
        [ref](Napi::Env) -> Napi::Value { return ref->Value(); });
  });
}

}  // namespace

void register_recsys(Napi::Env env, Napi::Object exports) {
  exports.Set("knnNeighbours", Napi::Function::New(env, knn_neighbours, "knnNeighbours"));
  exports.Set("knnNeighboursAsync", Napi::Function::New(env, knn_neighbours_async, "knnNeighboursAsync"));
  exports.Set("twoHop", Napi::Function::New(env, two_hop_sync, "twoHop"));
  exports.Set("twoHopAsync", Napi::Function::New(env, two_hop_async, "twoHopAsync"));
  exports.Set("bprStep", Napi::Function::New(env, bpr_step_js, "bprStep"));
  exports.Set("bprSample", Napi::Function::New(env, bpr_sample_js, "bprSample"));
  exports.Set("bprTrainAsync", Napi::Function::New(env, bpr_train_async, "bprTrainAsync"));
  exports.Set("bprScore", Napi::Function::New(env, bpr_score_sync, "bprScore"));
  exports.Set("bprScoreAsync", Napi::Function::New(env, bpr_score_async, "bprScoreAsync"));
}

}  // namespace reckit::binding
