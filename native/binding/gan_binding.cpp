// The native face of Gan (lib/gan.ts): an ObjectWrap around a shared core Gan. fitAsync runs whole
// epochs on the libuv pool, reports each epoch through a thread-safe function and stops at the next
// whole step once its cancel token is set; the model then holds the state of the last whole step.
#include <napi.h>

#include <memory>
#include <mutex>
#include <shared_mutex>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/async_inputs.h"
#include "binding/errors.h"
#include "binding/gan_spans_args.h"
#include "binding/model_args.h"
#include "binding/progress_worker.h"
#include "binding/registry.h"
#include "core/cuda_loader.h"
#include "core/gan.h"
#include "core/model_io.h"

namespace reckit::binding {
namespace {

constexpr int64_t kMaxEpochs = int64_t{1} << 30;
constexpr int64_t kMaxSamples = int64_t{1} << 31;
using GanPtr = std::shared_ptr<Gan>;

GanConfig config_arg(const Napi::Value& o) {
  require(o.IsObject(), ErrorCode::InvalidArg, "options must be an object");
  GanConfig c;
  c.data_dim = static_cast<size_t>(integer_arg(option(o, "dataDim"), "dataDim", 1, static_cast<int64_t>(kMaxUnits)));
  c.noise_dim = static_cast<size_t>(integer_arg(option(o, "noiseDim"), "noiseDim", 1, static_cast<int64_t>(kMaxUnits)));
  const Napi::Value cond = option(o, "conditionDim");
  c.condition_dim =
      cond.IsUndefined() ? 0 : static_cast<size_t>(integer_arg(cond, "conditionDim", 0, static_cast<int64_t>(kMaxUnits)));
  c.generator = layers_arg(option(o, "generator"), "generator");
  c.discriminator = layers_arg(option(o, "discriminator"), "discriminator");
  const Napi::Value out = option(o, "outputActivation");
  c.output_activation = out.IsUndefined() ? Activation::Linear : activation_from_name(string_arg(out, "outputActivation"));
  if (!option(o, "outputSpans").IsUndefined()) c.output_spans = spans_arg(option(o, "outputSpans"), "outputSpans");
  if (!option(o, "tau").IsUndefined()) c.tau = static_cast<float>(number_arg(option(o, "tau"), "tau"));
  if (!option(o, "conditionLinks").IsUndefined()) c.condition_links = links_arg(option(o, "conditionLinks"), "conditionLinks");
  if (!option(o, "conditionLossWeight").IsUndefined()) {
    c.condition_loss_weight = static_cast<float>(number_arg(option(o, "conditionLossWeight"), "conditionLossWeight"));
  }
  if (!option(o, "pac").IsUndefined()) c.pac = static_cast<size_t>(integer_arg(option(o, "pac"), "pac", 1, 64));
  const Napi::Value seed = option(o, "seed");
  c.seed = seed.IsUndefined() ? 0 : seed_arg(seed, "seed");
  return c;
}

class GanHandle : public Napi::ObjectWrap<GanHandle> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "GanHandle",
                       {InstanceMethod<&GanHandle::describe>("describe"),
                        InstanceMethod<&GanHandle::fit_async>("fitAsync"),
                        InstanceMethod<&GanHandle::sample>("sample"),
                        InstanceMethod<&GanHandle::sample_async>("sampleAsync"),
                        InstanceMethod<&GanHandle::generate>("generate"),
                        InstanceMethod<&GanHandle::discriminate>("discriminate"),
                        InstanceMethod<&GanHandle::set_inference_device>("setInferenceDevice"),
                        InstanceMethod<&GanHandle::parameters>("parameters"),
                        InstanceMethod<&GanHandle::to_buffer>("toBuffer"),
                        InstanceMethod<&GanHandle::save>("save"),
                        InstanceMethod<&GanHandle::save_async>("saveAsync"),
                        InstanceMethod<&GanHandle::dispose>("dispose"),
                        StaticMethod<&GanHandle::from_buffer>("fromBuffer"),
                        StaticMethod<&GanHandle::load>("load"),
                        StaticMethod<&GanHandle::load_async>("loadAsync")});
  }

  explicit GanHandle(const Napi::CallbackInfo& args) : Napi::ObjectWrap<GanHandle>(args) {
    translate_errors(args.Env(), [&] {
      if (args[0].IsExternal()) {
        gan_ = *args[0].As<Napi::External<GanPtr>>().Data();
        return;
      }
      gan_ = std::make_shared<Gan>(config_arg(args[0]));
    });
  }

 private:
  GanPtr live() const {
    require(gan_ != nullptr, ErrorCode::Disposed, "this Gan was disposed");
    return gan_;
  }

  Napi::Value describe(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      const GanConfig& c = g->config();
      Napi::Env env = args.Env();
      Napi::Object o = Napi::Object::New(env);
      o.Set("dataDim", static_cast<double>(c.data_dim));
      o.Set("noiseDim", static_cast<double>(c.noise_dim));
      o.Set("conditionDim", static_cast<double>(c.condition_dim));
      o.Set("outputActivation", activation_name(c.output_activation));
      o.Set("outputSpans", spans_to_js(env, c.output_spans));
      o.Set("tau", c.tau);
      o.Set("conditionLinks", links_to_js(env, c.condition_links));
      o.Set("conditionLossWeight", c.condition_loss_weight);
      o.Set("pac", static_cast<double>(c.pac));
      o.Set("generator", layers_to_js(env, c.generator));
      o.Set("discriminator", layers_to_js(env, c.discriminator));
      o.Set("seed", Napi::BigInt::New(env, static_cast<uint64_t>(c.seed)));
      std::shared_lock<std::shared_mutex> lock(g->mutex());
      o.Set("epochs", static_cast<double>(g->epochs_done));
      o.Set("discriminatorSteps", static_cast<double>(g->d_steps_done));
      o.Set("generatorSteps", static_cast<double>(g->g_steps_done));
      o.Set("generatorParameterCount", static_cast<double>(g->generator().parameter_count()));
      o.Set("discriminatorParameterCount", static_cast<double>(g->discriminator().parameter_count()));
      return o;
    });
  }

  // Conditions for `rows` rows: required (rows × conditionDim) when the Gan is conditional.
  static const float* conditions_arg(const Gan& g, const Napi::Value& value, size_t rows, const char* name) {
    const size_t cd = g.config().condition_dim;
    if (cd == 0) {
      require(value.IsUndefined() || value.IsNull(), ErrorCode::InvalidArg,
              std::string(name) + " given but this Gan has no conditionDim");
      return nullptr;
    }
    require(!value.IsUndefined() && !value.IsNull(), ErrorCode::InvalidArg,
            std::string(name) + " is required: this Gan has conditionDim " + std::to_string(cd));
    const ArrayView<float> view = float32_array(value, name);
    const size_t r = rows_arg(view, cd, name);
    require(r == rows, ErrorCode::DimMismatch,
            std::string(name) + " has " + std::to_string(r) + " rows, expected " + std::to_string(rows));
    return view.data;
  }

  // fitAsync(data, conditions, options, onProgress?, token?) -> Promise<{ epochs, aborted }>
  Napi::Value fit_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
      GanPtr g = live();
      const ArrayView<float> data = float32_array(args[0], "data");
      const size_t rows = rows_arg(data, g->config().data_dim, "data");
      require(rows < (size_t{1} << 32), ErrorCode::OutOfRange, "data must have fewer than 2^32 rows");
      const float* conditions = conditions_arg(*g, args[1], rows, "conditions");
      const Napi::Value o = args[2];
      GanFitOptions f;
      f.epochs = static_cast<size_t>(integer_arg(option(o, "epochs"), "epochs", 1, kMaxEpochs));
      f.batch_size = static_cast<size_t>(integer_arg(option(o, "batchSize"), "batchSize", 1, static_cast<int64_t>(rows)));
      const size_t pac = g->config().pac;
      require(rows >= pac && f.batch_size % pac == 0, ErrorCode::OutOfRange,
              "batchSize must be a multiple of pac (" + std::to_string(pac) + ") and data must hold at least pac rows");
      if (!option(o, "lr").IsUndefined()) f.lr = static_cast<float>(number_arg(option(o, "lr"), "lr"));
      require(f.lr > 0.f, ErrorCode::OutOfRange, "lr must be > 0");
      const Napi::Value betas = option(o, "betas");
      if (!betas.IsUndefined()) {
        require(betas.IsArray() && betas.As<Napi::Array>().Length() == 2, ErrorCode::InvalidArg,
                "betas must be [beta1, beta2]");
        f.beta1 = static_cast<float>(number_arg(betas.As<Napi::Array>().Get(0u), "betas[0]"));
        f.beta2 = static_cast<float>(number_arg(betas.As<Napi::Array>().Get(1u), "betas[1]"));
        require(f.beta1 >= 0.f && f.beta1 < 1.f && f.beta2 >= 0.f && f.beta2 < 1.f, ErrorCode::OutOfRange,
                "betas must be in [0, 1)");
      }
      if (!option(o, "dSteps").IsUndefined()) {
        f.d_steps = static_cast<size_t>(integer_arg(option(o, "dSteps"), "dSteps", 1, 1000));
      }
      if (!option(o, "labelSmoothing").IsUndefined()) {
        f.label_smoothing = static_cast<float>(number_arg(option(o, "labelSmoothing"), "labelSmoothing"));
        require(f.label_smoothing >= 0.f && f.label_smoothing < 1.f, ErrorCode::OutOfRange,
                "labelSmoothing must be in [0, 1)");
      }
      const Napi::Value device = option(o, "device");
      if (!device.IsUndefined()) {
        const std::string d = string_arg(device, "device");
        require(d == "cpu" || d == "cuda" || d == "auto", ErrorCode::InvalidArg, "device must be 'cpu', 'cuda' or 'auto'");
        f.device = d == "cuda" || (d == "auto" && cuda_api() != nullptr);
      }
      CancelFlag cancel = cancel_flag_arg(args[4], "token");
      auto epochs = std::make_shared<size_t>(0);
      const float* data_ptr = data.data;
      return ProgressWorker<GanProgress>::run(
          args.Env(), {args[0], args[1]}, args[3],
          [g, data_ptr, conditions, rows, f, cancel, epochs](const ProgressWorker<GanProgress>::Send& send) {
            *epochs = g->fit(data_ptr, conditions, rows, f, cancel.get(), [&](const GanProgress& p) { send(p); });
          },
          [](Napi::Env env, const Napi::Function& callback, const GanProgress& p) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("epoch", static_cast<double>(p.epoch));
            o.Set("dLoss", p.d_loss);
            o.Set("gLoss", p.g_loss);
            o.Set("dReal", p.d_real);
            o.Set("dFake", p.d_fake);
            o.Set("conditionLoss", p.condition_loss);
            callback.Call({o});
          },
          [epochs, cancel, g](Napi::Env env) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("epochs", static_cast<double>(*epochs));
            o.Set("aborted", cancel->load() || g->stop_requested());
            return o;
          });
    });
  }

  struct SampleRequest {
    size_t n;
    const float* condition = nullptr;
    bool per_row = false;
    uint64_t seed, stream;
  };

  // (n, condition?, seed?): condition is conditionDim values for every row or n × conditionDim.
  static SampleRequest sample_request(Gan& g, const Napi::CallbackInfo& args) {
    SampleRequest r;
    r.n = static_cast<size_t>(integer_arg(args[0], "n", 1, kMaxSamples));
    const size_t cd = g.config().condition_dim;
    if (cd == 0) {
      require(args[1].IsUndefined() || args[1].IsNull(), ErrorCode::InvalidArg,
              "condition given but this Gan has no conditionDim");
    } else {
      require(!args[1].IsUndefined() && !args[1].IsNull(), ErrorCode::InvalidArg,
              "condition is required: this Gan has conditionDim " + std::to_string(cd));
      const ArrayView<float> c = float32_array(args[1], "condition");
      require(c.length == cd || c.length == r.n * cd, ErrorCode::DimMismatch,
              "condition must have conditionDim (" + std::to_string(cd) + ") or n × conditionDim values");
      rows_arg(c, cd, "condition");
      r.condition = c.data;
      r.per_row = c.length == r.n * cd && r.n > 1;
    }
    if (args[2].IsUndefined()) {
      r.seed = g.config().seed;
      r.stream = gan_streams::kSample + g.samples_drawn.fetch_add(1);
    } else {
      r.seed = seed_arg(args[2], "seed");
      r.stream = 0;
    }
    return r;
  }

  Napi::Value sample(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      const SampleRequest r = sample_request(*g, args);
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(r.n * g->config().data_dim));
      g->sample(r.n, r.condition, r.per_row, r.seed, r.stream, out.Data());
      return out;
    });
  }

  Napi::Value sample_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
      GanPtr g = live();
      const SampleRequest r = sample_request(*g, args);
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(r.n * g->config().data_dim));
      float* out_data = out.Data();
      auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
      return run_async(
          args.Env(), {args[1], out}, [g, r, out_data] { g->sample(r.n, r.condition, r.per_row, r.seed, r.stream, out_data); },
          [result](Napi::Env) -> Napi::Value { return result->Value(); });
    });
  }

  // generate(noise, conditions?): the generator on caller-supplied noise rows.
  Napi::Value generate(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      const ArrayView<float> noise = float32_array(args[0], "noise");
      const size_t rows = rows_arg(noise, g->config().noise_dim, "noise");
      const float* conditions = conditions_arg(*g, args[1], rows, "conditions");
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(rows * g->config().data_dim));
      g->generate(noise.data, conditions, rows, out.Data());
      return out;
    });
  }

  // discriminate(data, conditions?): the discriminator's logits, one per row.
  Napi::Value discriminate(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      const ArrayView<float> data = float32_array(args[0], "data");
      const size_t rows = rows_arg(data, g->config().data_dim, "data");
      const float* conditions = conditions_arg(*g, args[1], rows, "conditions");
      require(rows % g->config().pac == 0, ErrorCode::DimMismatch,
              "data rows must be a multiple of pac (" + std::to_string(g->config().pac) + ")");
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(rows / g->config().pac));
      g->discriminate(data.data, conditions, rows, out.Data());
      return out;
    });
  }

  // setInferenceDevice(cuda: boolean): sample / generate / discriminate on the device (lib/gan.ts sets it from the
  // object's resolved device; `cuda` there already proved CUDA usable).
  Napi::Value set_inference_device(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      require(args[0].IsBoolean(), ErrorCode::InvalidArg, "cuda must be a boolean");
      g->set_inference_on_device(args[0].As<Napi::Boolean>().Value());
      return args.Env().Undefined();
    });
  }

  // parameters() -> { generator, discriminator }: flat copies in the Mlp layout.
  Napi::Value parameters(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      std::shared_lock<std::shared_mutex> lock(g->mutex());
      Napi::Object o = Napi::Object::New(args.Env());
      o.Set("generator", copy_to_js(args.Env(), g->generator().parameters(), g->generator().parameter_count()));
      o.Set("discriminator",
            copy_to_js(args.Env(), g->discriminator().parameters(), g->discriminator().parameter_count()));
      return o;
    });
  }

  Napi::Value to_buffer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      std::vector<uint8_t> bytes;
      {
        std::shared_lock<std::shared_mutex> lock(g->mutex());
        bytes = gan_to_buffer(*g);
      }
      return Napi::Buffer<uint8_t>::Copy(args.Env(), bytes.data(), bytes.size());
    });
  }

  Napi::Value save(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      const std::string path = string_arg(args[0], "path");
      std::shared_lock<std::shared_mutex> lock(g->mutex());
      gan_save(*g, path);
      return args.Env().Undefined();
    });
  }

  // saveAsync(path): the write (and fsync) off the event loop, under a read lock.
  Napi::Value save_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      GanPtr g = live();
      const std::string path = string_arg(args[0], "path");
      return run_async(
          args.Env(), {},
          [g, path] {
            std::shared_lock<std::shared_mutex> lock(g->mutex());
            gan_save(*g, path);
          },
          [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
    });
  }

  static Napi::Value wrap(Napi::Env env, const Napi::Function& cls, std::unique_ptr<Gan> gan) {
    auto* holder = new GanPtr(std::move(gan));
    Napi::External<GanPtr> external = Napi::External<GanPtr>::New(env, holder, [](Napi::Env, GanPtr* p) { delete p; });
    return cls.New({external});
  }

  static Napi::Value wrap(const Napi::CallbackInfo& args, std::unique_ptr<Gan> gan) {
    // In a static method `this` is the class itself, so no constructor needs storing per environment.
    return wrap(args.Env(), args.This().As<Napi::Function>(), std::move(gan));
  }

  // loadAsync(path): reads and validates off the event loop; the handle is made on the JS thread.
  static Napi::Value load_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const std::string path = string_arg(args[0], "path");
      auto cls = std::make_shared<Napi::FunctionReference>(Napi::Persistent(args.This().As<Napi::Function>()));
      auto loaded = std::make_shared<std::unique_ptr<Gan>>();
      return run_async(
          args.Env(), {}, [path, loaded] { *loaded = gan_load(path); },
          [cls, loaded](Napi::Env env) -> Napi::Value { return wrap(env, cls->Value(), std::move(*loaded)); });
    });
  }

  static Napi::Value from_buffer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      require(args[0].IsTypedArray(), ErrorCode::InvalidArg, "buffer must be a Buffer or Uint8Array");
      Napi::TypedArray ta = args[0].As<Napi::TypedArray>();
      const uint8_t* data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
      return wrap(args, gan_from_buffer(data, ta.ByteLength()));
    });
  }

  static Napi::Value load(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value { return wrap(args, gan_load(string_arg(args[0], "path"))); });
  }

  Napi::Value dispose(const Napi::CallbackInfo& args) {
    if (gan_) gan_->request_stop();
    gan_.reset();
    return args.Env().Undefined();
  }

  GanPtr gan_;
};

}  // namespace

void register_gan(Napi::Env env, Napi::Object exports) { exports.Set("GanHandle", GanHandle::define(env)); }

}  // namespace reckit::binding
