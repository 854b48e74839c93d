// Span activations as standalone functions (ganSpansForward/Backward, gumbelNoise, ganConditionLoss):
// the Gan runs them inside its training step; these entry points let tests check forward values
// against a float64 reference and the backward pass against finite differences.
#include <napi.h>

#include <string>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/gan_spans_args.h"
#include "binding/model_args.h"
#include "binding/registry.h"
#include "core/error.h"
#include "core/gan_spans.h"

namespace reckit::binding {

std::vector<OutputSpan> spans_arg(const Napi::Value& value, const char* name) {
  require(value.IsArray(), ErrorCode::InvalidArg, std::string(name) + " must be an array of { kind, width }");
  const Napi::Array array = value.As<Napi::Array>();
  std::vector<OutputSpan> spans;
  size_t at = 0;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const std::string item = std::string(name) + "[" + std::to_string(i) + "]";
    const Napi::Value o = array.Get(i);
    require(o.IsObject(), ErrorCode::InvalidArg, item + " must be an object");
    OutputSpan s;
    s.kind = span_kind_from_name(string_arg(option(o, "kind"), (item + ".kind").c_str()));
    s.width = static_cast<size_t>(integer_arg(option(o, "width"), (item + ".width").c_str(), 1, int64_t{1} << 20));
    s.start = at;
    const Napi::Value start = option(o, "start");
    if (!start.IsUndefined()) {
      require(static_cast<size_t>(integer_arg(start, (item + ".start").c_str(), 0, int64_t{1} << 20)) == at,
              ErrorCode::InvalidArg, item + ".start must be " + std::to_string(at) + " (spans tile the row in order)");
    }
    at += s.width;
    spans.push_back(s);
  }
  return spans;
}

std::vector<ConditionLink> links_arg(const Napi::Value& value, const char* name) {
  require(value.IsArray(), ErrorCode::InvalidArg, std::string(name) + " must be an array of { conditionStart, dataStart, width }");
  const Napi::Array array = value.As<Napi::Array>();
  std::vector<ConditionLink> links;
  for (uint32_t i = 0; i < array.Length(); ++i) {
    const std::string item = std::string(name) + "[" + std::to_string(i) + "]";
    const Napi::Value o = array.Get(i);
    require(o.IsObject(), ErrorCode::InvalidArg, item + " must be an object");
    ConditionLink l;
    l.condition_start = static_cast<size_t>(integer_arg(option(o, "conditionStart"), (item + ".conditionStart").c_str(), 0, int64_t{1} << 20));
    l.data_start = static_cast<size_t>(integer_arg(option(o, "dataStart"), (item + ".dataStart").c_str(), 0, int64_t{1} << 20));
    l.width = static_cast<size_t>(integer_arg(option(o, "width"), (item + ".width").c_str(), 1, int64_t{1} << 20));
    links.push_back(l);
  }
  return links;
}

Napi::Array spans_to_js(Napi::Env env, const std::vector<OutputSpan>& spans) {
  Napi::Array out = Napi::Array::New(env, spans.size());
  for (size_t i = 0; i < spans.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("kind", span_kind_name(spans[i].kind));
    o.Set("start", static_cast<double>(spans[i].start));
    o.Set("width", static_cast<double>(spans[i].width));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Array links_to_js(Napi::Env env, const std::vector<ConditionLink>& links) {
  Napi::Array out = Napi::Array::New(env, links.size());
  for (size_t i = 0; i < links.size(); ++i) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("conditionStart", static_cast<double>(links[i].condition_start));
    o.Set("dataStart", static_cast<double>(links[i].data_start));
    o.Set("width", static_cast<double>(links[i].width));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

namespace {

float tau_arg(const Napi::Value& value) { return value.IsUndefined() ? 0.2f : static_cast<float>(number_arg(value, "tau")); }

// ganSpansForward(logits, spans, tau?, gumbel?) -> Float32Array (rows × dim, dim = Σ widths)
Napi::Value spans_forward_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<float> logits = float32_array(args[0], "logits");
    const std::vector<OutputSpan> spans = spans_arg(args[1], "spans");
    const size_t dim = spans.empty() ? 0 : spans.back().start + spans.back().width;
    require(dim > 0, ErrorCode::InvalidArg, "spans must not be empty");
    const float tau = tau_arg(args[2]);
    validate_spans(spans, dim, tau);
    const size_t rows = rows_arg(logits, dim, "logits");
    const float* gumbel = nullptr;
    if (!args[3].IsUndefined()) {
      const ArrayView<float> g = float32_array(args[3], "gumbel");
      require(g.length == logits.length, ErrorCode::DimMismatch, "gumbel must have as many values as logits");
      gumbel = g.data;
    }
    Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(rows * dim));
    spans_forward(spans, tau, logits.data, gumbel, rows, dim, out.Data());
    return out;
  });
}

// ganSpansBackward(out, gradOut, spans, tau?) -> Float32Array dL/dlogits
Napi::Value spans_backward_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<float> out = float32_array(args[0], "out");
    const ArrayView<float> grad = float32_array(args[1], "gradOut");
    const std::vector<OutputSpan> spans = spans_arg(args[2], "spans");
    const size_t dim = spans.empty() ? 0 : spans.back().start + spans.back().width;
    require(dim > 0, ErrorCode::InvalidArg, "spans must not be empty");
    const float tau = tau_arg(args[3]);
    validate_spans(spans, dim, tau);
    const size_t rows = rows_arg(out, dim, "out");
    require(grad.length == out.length, ErrorCode::DimMismatch, "gradOut must have as many values as out");
    Napi::Float32Array result = Napi::Float32Array::New(args.Env(), js_length<float>(rows * dim));
    spans_backward(spans, tau, out.data, grad.data, rows, dim, result.Data());
    return result;
  });
}

// gumbelNoise(n, seed, stream) -> Float32Array
Napi::Value gumbel_noise_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const size_t n = static_cast<size_t>(integer_arg(args[0], "n", 1, int64_t{1} << 31));
    Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(n));
    fill_gumbel(out.Data(), n, seed_arg(args[1], "seed"), seed_arg(args[2], "stream"));
    return out;
  });
}

// ganConditionLoss(logits, conditions, dim, conditionDim, links, spans, weight) -> { loss, grad }
Napi::Value condition_loss_js(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<float> logits = float32_array(args[0], "logits");
    const ArrayView<float> conditions = float32_array(args[1], "conditions");
    const std::vector<OutputSpan> spans = spans_arg(args[2], "spans");
    const size_t dim = spans.empty() ? 0 : spans.back().start + spans.back().width;
    require(dim > 0, ErrorCode::InvalidArg, "spans must not be empty");
    const size_t cd = static_cast<size_t>(integer_arg(args[3], "conditionDim", 1, int64_t{1} << 20));
    const std::vector<ConditionLink> links = links_arg(args[4], "links");
    validate_links(links, spans, cd);
    const float weight = static_cast<float>(number_arg(args[5], "weight"));
    const size_t rows = rows_arg(logits, dim, "logits");
    require(rows_arg(conditions, cd, "conditions") == rows, ErrorCode::DimMismatch, "conditions must have one row per logits row");
    Napi::Float32Array grad = Napi::Float32Array::New(args.Env(), js_length<float>(rows * dim));
    const double loss = condition_loss(links, logits.data, conditions.data, rows, dim, cd, weight, grad.Data());
    Napi::Object o = Napi::Object::New(args.Env());
    o.Set("loss", loss);
    o.Set("grad", grad);
    return o;
  });
}

}  // namespace

void register_gan_spans(Napi::Env env, Napi::Object exports) {
  exports.Set("ganSpansForward", Napi::Function::New(env, spans_forward_js, "ganSpansForward"));
  exports.Set("ganSpansBackward", Napi::Function::New(env, spans_backward_js, "ganSpansBackward"));
  exports.Set("gumbelNoise", Napi::Function::New(env, gumbel_noise_js, "gumbelNoise"));
  exports.Set("ganConditionLoss", Napi::Function::New(env, condition_loss_js, "ganConditionLoss"));
}

}  // namespace reckit::binding
