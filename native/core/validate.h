// One-pass input checks shared by every op: they run before the hot loop and name the first bad element.
#pragma once
#include <cmath>
#include <cstddef>
#include <string>

#include "core/error.h"

namespace reckit {

// Throws ERR_RECKIT_OUT_OF_RANGE naming the first NaN/Inf in values[0..n).
inline void require_finite(const float* values, size_t n, const char* name) {
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) {
      fail(ErrorCode::OutOfRange, std::string(name) + "[" + std::to_string(i) + "] is " +
                                      (std::isnan(values[i]) ? "NaN" : "infinite") + "; values must be finite");
    }
  }
}

}  // namespace reckit
