// JS error construction for core error codes.
#include "binding/errors.h"

namespace reckit::binding {

Napi::Error make_js_error(Napi::Env env, ErrorCode code, const std::string& message) {
  Napi::Error error;
  switch (code) {
    case ErrorCode::InvalidArg: error = Napi::TypeError::New(env, message); break;
    case ErrorCode::OutOfRange:
    case ErrorCode::DimMismatch: error = Napi::RangeError::New(env, message); break;
    default: error = Napi::Error::New(env, message); break;
  }
  error.Set("code", Napi::String::New(env, error_code_name(code)));
  return error;
}

}  // namespace reckit::binding
