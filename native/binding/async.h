// Promise-returning work on the libuv pool: `compute` runs off the JS thread (and may hand parallel
// work to the compute pool), then `resolve` builds the JS result on the JS thread. Inputs named in
// `keep_alive` stay referenced until the promise settles, so their memory cannot be collected; inputs
// read under an AsyncInputs scope were copied (a referenced ArrayBuffer can still be detached).
#pragma once
#include <napi.h>

#include <functional>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "binding/async_inputs.h"
#include "binding/errors.h"
#include "core/error.h"

namespace reckit::binding {

class LambdaWorker : public Napi::AsyncWorker {
 public:
  using Compute = std::function<void()>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;

  LambdaWorker(Napi::Env env, const std::vector<Napi::Value>& keep_alive, Compute compute, Resolve resolve)
      : Napi::AsyncWorker(env, "reckit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        compute_(std::move(compute)),
        resolve_(std::move(resolve)),
        inputs_(AsyncInputs::adopt()) {
    for (const Napi::Value& v : keep_alive) {
      if (v.IsObject()) kept_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
  }

  Napi::Promise promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      compute_();
    } catch (const Error& e) {
      failed_ = true;
      code_ = e.code();
      message_ = e.what();
    } catch (const std::bad_alloc&) {
      failed_ = true;
      code_ = ErrorCode::OutOfMemory;
      message_ = "out of memory";
    } catch (const std::exception& e) {
      failed_ = true;
      code_ = ErrorCode::Internal;
      message_ = e.what();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (failed_) {
      deferred_.Reject(make_js_error(env, code_, message_).Value());
      return;
    }
    try {
      deferred_.Resolve(translate_errors(env, [&] { return resolve_(env); }));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Compute compute_;
  Resolve resolve_;
  std::vector<Napi::ObjectReference> kept_;
  InputCopies inputs_;  // copies of the call's typed-array inputs (binding/async_inputs.h), freed after settling
  bool failed_ = false;
  ErrorCode code_ = ErrorCode::Internal;
  std::string message_;
};

// Queues the work and returns its promise. The worker deletes itself after settling.
inline Napi::Promise run_async(Napi::Env env, const std::vector<Napi::Value>& keep_alive, LambdaWorker::Compute compute,
                               LambdaWorker::Resolve resolve) {
  auto* worker = new LambdaWorker(env, keep_alive, std::move(compute), std::move(resolve));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

}  // namespace reckit::binding
