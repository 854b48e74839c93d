// Argument readers and result builders shared by the EmbeddingTable binding's methods and factories:
// ids/offsets (Int32Array or Uint32Array, read in place), pooling mode, ISA choice, optimizer options,
// optional `out` buffers, and the JS shapes of results. Every failure is a reckit::Error naming the argument.
#pragma once
#include <napi.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "core/embedding_table.h"
#include "cpu/dispatch.h"

namespace reckit::binding::emb {

using TablePtr = std::shared_ptr<EmbeddingTable>;

IndexArray index_array(const Napi::Value& value, const char* name);
PoolMode mode_arg(const Napi::Value& value);
// (ids, offsets | null, mode, weights | undefined) starting at args[first].
BagBatch batch_args(const Napi::CallbackInfo& args, size_t first, bool offsets_optional);
SparseOptimizerConfig config_arg(const Napi::Value& options);

// (rows, dim, init kind, p1, p2, seed): a table's shape and seeded init, checked on the JS thread.
struct InitSpec {
  size_t rows = 0, dim = 0;
  std::string kind;
  float p1 = 0, p2 = 0;
  uint64_t seed = 0;
};

InitSpec init_spec(const Napi::CallbackInfo& args);
// Allocates and fills the table (the heavy part: may run on a worker thread).
TablePtr build_table(const InitSpec& spec);

template <typename T, typename Array>
inline Array copy_out(Napi::Env env, const std::vector<T>& v) {
  Array a = Array::New(env, v.size());
  if (!v.empty()) std::memcpy(a.Data(), v.data(), v.size() * sizeof(T));
  return a;
}

Napi::Value gradient_object(Napi::Env env, const SparseGradient& g, bool weighted);
Napi::Value step_object(Napi::Env env, const EmbeddingTable::StepResult& r, bool weighted);
// The caller's `out` Float32Array when given (checked to hold exactly `length` floats), else a new one.
Napi::Float32Array output(Napi::Env env, const Napi::Value& out, size_t length);
// The result of an async lookup. A caller's `out` is written only when the call settles (the work
// writes to `staging`): the caller may detach `out` meanwhile, and then the promise rejects with
// ERR_RECKIT_INVALID_ARG instead of the work writing into memory that is no longer the array's.
struct AsyncOutput {
  Napi::ObjectReference array;
  std::vector<float> staging;  // empty when reckit allocated the array
  float* dst = nullptr;        // where the work writes
  Napi::Value settle(Napi::Env env);  // on the JS thread, when the work is done
};
std::shared_ptr<AsyncOutput> async_output(Napi::Env env, const Napi::Value& out, size_t length);
// A JS External owning a reference to the table (adopted by `new EmbeddingTable(external)` in lib/).
Napi::Value external_of(Napi::Env env, TablePtr table);
// a × b, refusing results beyond 2^40 (ERR_RECKIT_OUT_OF_RANGE).
size_t checked_size(size_t a, size_t b, const char* what);
// A Node Buffer owning `bytes` (no copy where the runtime allows external buffers).
Napi::Value buffer_of(Napi::Env env, std::vector<uint8_t>&& bytes);

}  // namespace reckit::binding::emb
