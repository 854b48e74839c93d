// Long-running training jobs (Mlp.train, Gan.fit): a promise-returning worker on the libuv pool that
// reports progress through a thread-safe function (node-addon-api's AsyncProgressQueueWorker, which
// delivers every queued report before the promise settles) and stops early when its cancel token is
// set from JS (an AbortSignal listener calls cancel()).
#pragma once
#include <napi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "binding/async_inputs.h"
#include "binding/errors.h"
#include "core/error.h"

namespace reckit::binding {

using CancelFlag = std::shared_ptr<std::atomic<bool>>;

// A JS value holding a cancel flag: an External type-tagged so no other object passes for one.
Napi::Value new_cancel_token(Napi::Env env);
// The flag of a token created by new_cancel_token; undefined/null gives a flag nobody sets.
CancelFlag cancel_flag_arg(const Napi::Value& value, const char* name);
// Registers cancelToken() and cancel(token) on the exports (done once by the Mlp registration).
void register_cancel_tokens(Napi::Env env, Napi::Object exports);

template <typename Report>
class ProgressWorker : public Napi::AsyncProgressQueueWorker<Report> {
 public:
  using Send = std::function<void(const Report&)>;
  using Compute = std::function<void(const Send&)>;
  using OnReport = std::function<void(Napi::Env, const Napi::Function&, const Report&)>;
  using Resolve = std::function<Napi::Value(Napi::Env)>;

  // `callback` may be undefined (no progress wanted); `keep_alive` values stay referenced until settled.
  static Napi::Promise run(Napi::Env env, const std::vector<Napi::Value>& keep_alive, const Napi::Value& callback,
                           Compute compute, OnReport on_report, Resolve resolve) {
    auto* worker = new ProgressWorker(env, keep_alive, callback, std::move(compute), std::move(on_report),
                                      std::move(resolve));
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute(const typename Napi::AsyncProgressQueueWorker<Report>::ExecutionProgress& progress) override {
    try {
      compute_([&](const Report& r) { progress.Send(&r, 1); });
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

  void OnProgress(const Report* data, size_t count) override {
    if (callback_.IsEmpty() || data == nullptr) return;
    Napi::Env env = this->Env();
    Napi::HandleScope scope(env);
    for (size_t i = 0; i < count; ++i) {
      try {
        on_report_(env, callback_.Value(), data[i]);
      } catch (const Napi::Error& e) {
        // A throwing progress callback must not take the process down; the error is reported when
        // the promise settles.
        if (callback_error_.IsEmpty()) callback_error_ = Napi::Persistent(e.Value());
      }
    }
  }

  void OnOK() override {
    Napi::Env env = this->Env();
    Napi::HandleScope scope(env);
    if (failed_) {
      deferred_.Reject(make_js_error(env, code_, message_).Value());
      return;
    }
    if (!callback_error_.IsEmpty()) {
      deferred_.Reject(callback_error_.Value());
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
  ProgressWorker(Napi::Env env, const std::vector<Napi::Value>& keep_alive, const Napi::Value& callback,
                 Compute compute, OnReport on_report, Resolve resolve)
      : Napi::AsyncProgressQueueWorker<Report>(env, "reckit.train"),
        deferred_(Napi::Promise::Deferred::New(env)),
        compute_(std::move(compute)),
        on_report_(std::move(on_report)),
        resolve_(std::move(resolve)),
        inputs_(AsyncInputs::adopt()) {
    for (const Napi::Value& v : keep_alive) {
      if (v.IsObject()) kept_.push_back(Napi::Persistent(v.As<Napi::Object>()));
    }
    if (callback.IsFunction()) callback_ = Napi::Persistent(callback.As<Napi::Function>());
  }

  Napi::Promise::Deferred deferred_;
  Compute compute_;
  OnReport on_report_;
  Resolve resolve_;
  std::vector<Napi::ObjectReference> kept_;
  InputCopies inputs_;  // copies of the call's typed-array inputs (binding/async_inputs.h), freed after settling
  Napi::FunctionReference callback_;
  Napi::ObjectReference callback_error_;
  bool failed_ = false;
  ErrorCode code_ = ErrorCode::Internal;
  std::string message_;
};

}  // namespace reckit::binding
