// Argument readers shared by the Mlp and Gan bindings (see model_args.h).
#include "binding/model_args.h"

#include "binding/args.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/error.h"

namespace reckit::binding {

std::vector<LayerSpec> layers_arg(const Napi::Value& value, const char* name) {
  require(value.IsArray(), ErrorCode::InvalidArg, std::string(name) + " must be an array of { units, activation }");
  Napi::Array list = value.As<Napi::Array>();
  std::vector<LayerSpec> layers;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string item = std::string(name) + "[" + std::to_string(i) + "]";
    Napi::Value entry = list.Get(i);
    require(entry.IsObject(), ErrorCode::InvalidArg, item + " must be an object { units, activation }");
    LayerSpec spec;
    spec.units = static_cast<size_t>(integer_arg(option(entry, "units"), (item + ".units").c_str(), 1,
                                                 static_cast<int64_t>(kMaxUnits)));
    Napi::Value act = option(entry, "activation");
    spec.activation = act.IsUndefined() ? Activation::Linear
                                        : activation_from_name(string_arg(act, (item + ".activation").c_str()));
    Napi::Value alpha = option(entry, "alpha");
    if (!alpha.IsUndefined()) spec.slope = static_cast<float>(number_arg(alpha, (item + ".alpha").c_str()));
    layers.push_back(spec);
  }
  return layers;
}

OptimizerConfig optimizer_arg(const Napi::Value& value, const char* name) {
  OptimizerConfig c;
  if (value.IsUndefined()) return c;
  require(value.IsObject(), ErrorCode::InvalidArg, std::string(name) + " must be an object");
  const std::string base(name);
  Napi::Value type = option(value, "type");
  if (!type.IsUndefined()) {
    const std::string t = string_arg(type, (base + ".type").c_str());
    if (t == "adam") c.kind = OptimizerKind::Adam;
    else if (t == "sgd") c.kind = OptimizerKind::Sgd;
    else fail(ErrorCode::InvalidArg, base + ".type must be 'adam' or 'sgd'");
  }
  if (c.kind == OptimizerKind::Sgd) c.lr = 0.01f;
  Napi::Value lr = option(value, "lr");
  if (!lr.IsUndefined()) c.lr = static_cast<float>(number_arg(lr, (base + ".lr").c_str()));
  require(c.lr > 0.f, ErrorCode::OutOfRange, base + ".lr must be > 0");
  Napi::Value betas = option(value, "betas");
  if (!betas.IsUndefined()) {
    require(betas.IsArray() && betas.As<Napi::Array>().Length() == 2, ErrorCode::InvalidArg,
            base + ".betas must be [beta1, beta2]");
    c.beta1 = static_cast<float>(number_arg(betas.As<Napi::Array>().Get(0u), (base + ".betas[0]").c_str()));
    c.beta2 = static_cast<float>(number_arg(betas.As<Napi::Array>().Get(1u), (base + ".betas[1]").c_str()));
    require(c.beta1 >= 0.f && c.beta1 < 1.f && c.beta2 >= 0.f && c.beta2 < 1.f, ErrorCode::OutOfRange,
            base + ".betas must be in [0, 1)");
  }
  Napi::Value eps = option(value, "eps");
  if (!eps.IsUndefined()) c.eps = static_cast<float>(number_arg(eps, (base + ".eps").c_str()));
  require(c.eps > 0.f, ErrorCode::OutOfRange, base + ".eps must be > 0");
  Napi::Value momentum = option(value, "momentum");
  if (!momentum.IsUndefined()) c.momentum = static_cast<float>(number_arg(momentum, (base + ".momentum").c_str()));
  require(c.momentum >= 0.f && c.momentum < 1.f, ErrorCode::OutOfRange, base + ".momentum must be in [0, 1)");
  Napi::Value decay = option(value, "weightDecay");
  if (!decay.IsUndefined()) c.weight_decay = static_cast<float>(number_arg(decay, (base + ".weightDecay").c_str()));
  require(c.weight_decay >= 0.f, ErrorCode::OutOfRange, base + ".weightDecay must be >= 0");
  return c;
}

LossKind loss_arg(const Napi::Value& value, const char* name) {
  const std::string s = string_arg(value, name);
  if (s == "bce_with_logits" || s == "bce") return LossKind::BceWithLogits;
  if (s == "mse") return LossKind::Mse;
  fail(ErrorCode::InvalidArg, std::string(name) + " must be 'bce_with_logits' or 'mse'");
}

size_t rows_arg(const ArrayView<float>& view, size_t cols, const char* name, bool check_finite) {
  require(view.length > 0 && view.length % cols == 0, ErrorCode::DimMismatch,
          std::string(name) + " must hold whole rows of " + std::to_string(cols) + " values (got length " +
              std::to_string(view.length) + ")");
  if (check_finite) {
    for (size_t i = 0; i < view.length; ++i) {
      if (!std::isfinite(view.data[i])) {
        fail(ErrorCode::OutOfRange, std::string(name) + " row " + std::to_string(i / cols) + " column " +
                                        std::to_string(i % cols) + " is " + (std::isnan(view.data[i]) ? "NaN" : "infinite") +
                                        "; values must be finite");
      }
    }
  }
  return view.length / cols;
}

Napi::Float32Array copy_to_js(Napi::Env env, const float* data, size_t n) {
  Napi::Float32Array out = Napi::Float32Array::New(env, js_length<float>(n));
  if (n) std::memcpy(out.Data(), data, n * sizeof(float));
  return out;
}

// The shortest decimal that reads back as the same float (0.2f shows as 0.2, not 0.200000003).
static double shortest(float v) {
  for (int precision = 6; precision < 9; ++precision) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(v));
    const double d = std::strtod(buf, nullptr);
    if (static_cast<float>(d) == v) return d;
  }
  return static_cast<double>(v);
}

Napi::Array layers_to_js(Napi::Env env, const std::vector<LayerSpec>& layers) {
  Napi::Array list = Napi::Array::New(env, layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("units", static_cast<double>(layers[i].units));
    o.Set("activation", activation_name(layers[i].activation));
    if (layers[i].activation == Activation::LeakyRelu) o.Set("alpha", shortest(layers[i].slope));
    list.Set(static_cast<uint32_t>(i), o);
  }
  return list;
}

}  // namespace reckit::binding
