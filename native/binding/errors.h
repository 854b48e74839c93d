// Turning core errors into JS errors with a stable `.code`, and the argument-checking helpers that
// raise them from the binding. No Node types leak below this directory.
#pragma once
#include <napi.h>

#include <string>

#include "core/error.h"

namespace reckit::binding {

// A JS error object (TypeError/RangeError/Error by code) with `.code` set.
Napi::Error make_js_error(Napi::Env env, ErrorCode code, const std::string& message);

// Runs `body`, rethrowing reckit::Error (and std::bad_alloc) as the matching JS exception.
template <typename Body>
auto translate_errors(Napi::Env env, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& e) {
    throw make_js_error(env, e.code(), e.what());
  } catch (const std::bad_alloc&) {
    throw make_js_error(env, ErrorCode::OutOfMemory, "out of memory");
  }
}

}  // namespace reckit::binding
