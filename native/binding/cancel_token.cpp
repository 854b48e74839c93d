// Cancel tokens for training jobs: a type-tagged External around a shared atomic flag. JS sets it
// from an AbortSignal listener; the native loop reads it between whole steps.
#include "binding/args.h"
#include "binding/progress_worker.h"

namespace reckit::binding {
namespace {

// Random tag distinguishing reckit's cancel tokens from any other External.
constexpr napi_type_tag kCancelTokenTag = {0x7f3c1a9e52b64d08ULL, 0xa1d4c0e98b7f2e51ULL};

Napi::Value cancel_token_js(const Napi::CallbackInfo& args) { return new_cancel_token(args.Env()); }

Napi::Value cancel_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    CancelFlag flag = cancel_flag_arg(args[0], "token");
    flag->store(true);
    return args.Env().Undefined();
  });
}

}  // namespace

Napi::Value new_cancel_token(Napi::Env env) {
  auto* holder = new CancelFlag(std::make_shared<std::atomic<bool>>(false));
  auto external = Napi::External<CancelFlag>::New(env, holder, [](Napi::Env, CancelFlag* p) { delete p; });
  napi_type_tag_object(env, external, &kCancelTokenTag);
  return external;
}

CancelFlag cancel_flag_arg(const Napi::Value& value, const char* name) {
  if (value.IsUndefined() || value.IsNull()) return std::make_shared<std::atomic<bool>>(false);
  bool tagged = false;
  if (value.IsExternal()) napi_check_object_type_tag(value.Env(), value, &kCancelTokenTag, &tagged);
  if (!tagged) fail(ErrorCode::InvalidArg, std::string(name) + " must be a cancel token");
  return *value.As<Napi::External<CancelFlag>>().Data();
}

void register_cancel_tokens(Napi::Env env, Napi::Object exports) {
  exports.Set("cancelToken", Napi::Function::New(env, cancel_token_js, "cancelToken"));
  exports.Set("cancel", Napi::Function::New(env, cancel_js, "cancel"));
}

}  // namespace reckit::binding
