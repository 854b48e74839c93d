// Argument readers shared by the Mlp and Gan bindings: layer lists, optimizer settings, row-major
// matrices given as flat Float32Arrays, and copies of native buffers into new Float32Arrays.
#pragma once
#include <napi.h>

#include <cstddef>
#include <string>
#include <vector>

#include "binding/args.h"
#include "core/mlp.h"

namespace reckit::binding {

// [{ units, activation, alpha? }, ...]
std::vector<LayerSpec> layers_arg(const Napi::Value& value, const char* name);
// { type: 'adam'|'sgd', lr, betas?, eps?, momentum?, weightDecay? }
OptimizerConfig optimizer_arg(const Napi::Value& value, const char* name);
LossKind loss_arg(const Napi::Value& value, const char* name);

// A Float32Array holding whole rows of `cols` values (at least one row); returns the row count.
// With check_finite, the first NaN/Inf is reported by row and column.
size_t rows_arg(const ArrayView<float>& view, size_t cols, const char* name, bool check_finite = true);

Napi::Float32Array copy_to_js(Napi::Env env, const float* data, size_t n);
Napi::Array layers_to_js(Napi::Env env, const std::vector<LayerSpec>& layers);

}  // namespace reckit::binding
