// The native face of the CFGAN recommender (lib/recsys/cfgan.ts): an ObjectWrap around a shared core
// Cfgan. Purchase matrices arrive as CSR (offsets, items) Uint32Array views and are checked here once.
// fitAsync runs whole epochs on the libuv pool with per-epoch progress and a cancel token; score and
// scoreAsync run the generator for a list of users.
#include <napi.h>

#include <memory>
#include <mutex>
#include <shared_mutex>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/async_inputs.h"
#include "binding/errors.h"
#include "binding/model_args.h"
#include "binding/progress_worker.h"
#include "binding/registry.h"
#include "core/cfgan.h"
#include "core/cuda_loader.h"

namespace reckit::binding {
namespace {

constexpr int64_t kMaxEpochs = int64_t{1} << 30;
using CfganPtr = std::shared_ptr<Cfgan>;

CfganConfig config_arg(const Napi::Value& o) {
  require(o.IsObject(), ErrorCode::InvalidArg, "config must be an object");
  CfganConfig c;
  c.items = static_cast<size_t>(integer_arg(option(o, "items"), "items", 1, static_cast<int64_t>(kMaxUnits)));
  c.noise_dim = static_cast<size_t>(integer_arg(option(o, "noiseDim"), "noiseDim", 0, static_cast<int64_t>(kMaxUnits)));
  c.generator = layers_arg(option(o, "generator"), "generator");
  c.discriminator = layers_arg(option(o, "discriminator"), "discriminator");
  const Napi::Value seed = option(o, "seed");
  c.seed = seed.IsUndefined() ? 0 : seed_arg(seed, "seed");
  return c;
}

// A purchase matrix over `items` items: offsets (users + 1, from 0, monotone, ending at items.length),
// every item index < items.
PurchaseCsr csr_arg(const Napi::Value& offsets_value, const Napi::Value& items_value, size_t items) {
  const ArrayView<uint32_t> offsets = uint32_array(offsets_value, "offsets");
  const ArrayView<uint32_t> idx = uint32_array(items_value, "items");
  require(offsets.length >= 2, ErrorCode::InvalidArg, "offsets must have users + 1 ≥ 2 entries");
  require(offsets.data[0] == 0 && offsets.data[offsets.length - 1] == idx.length, ErrorCode::InvalidArg,
          "offsets must start at 0 and end at items.length");
  for (size_t u = 0; u + 1 < offsets.length; ++u) {
    require(offsets.data[u] <= offsets.data[u + 1], ErrorCode::InvalidArg, "offsets must not decrease");
  }
  for (size_t j = 0; j < idx.length; ++j) {
    require(idx.data[j] < items, ErrorCode::OutOfRange,
            "items[" + std::to_string(j) + "] = " + std::to_string(idx.data[j]) + " is outside the catalogue");
  }
  PurchaseCsr csr;
  csr.offsets = reinterpret_cast<const int32_t*>(offsets.data);
  csr.items = reinterpret_cast<const int32_t*>(idx.data);
  csr.users = offsets.length - 1;
  require(csr.users < (size_t{1} << 31), ErrorCode::OutOfRange, "too many users");
  return csr;
}

float ratio_option(const Napi::Value& o, const char* key, float fallback) {
  const Napi::Value v = option(o, key);
  if (v.IsUndefined()) return fallback;
  const double x = number_arg(v, key);
  require(x >= 0.0 && x <= 1.0, ErrorCode::OutOfRange, std::string(key) + " must be in [0, 1]");
  return static_cast<float>(x);
}

class CfganHandle : public Napi::ObjectWrap<CfganHandle> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "CfganHandle",
                       {InstanceMethod<&CfganHandle::describe>("describe"),
                        InstanceMethod<&CfganHandle::fit_async>("fitAsync"),
                        InstanceMethod<&CfganHandle::score>("score"),
                        InstanceMethod<&CfganHandle::score_async>("scoreAsync"),
                        InstanceMethod<&CfganHandle::parameters>("parameters"),
                        InstanceMethod<&CfganHandle::dispose>("dispose")});
  }

  // new CfganHandle(config) or new CfganHandle(config, generatorParams, discriminatorParams).
  explicit CfganHandle(const Napi::CallbackInfo& args) : Napi::ObjectWrap<CfganHandle>(args) {
    translate_errors(args.Env(), [&] {
      CfganConfig c = config_arg(args[0]);
      if (args[1].IsUndefined()) {
        model_ = std::make_shared<Cfgan>(std::move(c));
        return;
      }
      const ArrayView<float> g = float32_array(args[1], "generator");
      const ArrayView<float> d = float32_array(args[2], "discriminator");
      model_ = std::make_shared<Cfgan>(std::move(c), g.data, g.length, d.data, d.length);
    });
  }

 private:
  CfganPtr live() const {
    require(model_ != nullptr, ErrorCode::Disposed, "this CFGAN model was disposed");
    return model_;
  }

  Napi::Value describe(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      CfganPtr m = live();
      Napi::Env env = args.Env();
      Napi::Object o = Napi::Object::New(env);
      std::shared_lock<std::shared_mutex> lock(m->mutex());
      o.Set("epochs", static_cast<double>(m->epochs_done));
      o.Set("generatorParameterCount", static_cast<double>(m->generator().parameter_count()));
      o.Set("discriminatorParameterCount", static_cast<double>(m->discriminator().parameter_count()));
      return o;
    });
  }

  // fitAsync(offsets, items, options, onProgress?, token?) -> Promise<{ epochs, aborted }>
  Napi::Value fit_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
      CfganPtr m = live();
      const PurchaseCsr data = csr_arg(args[0], args[1], m->config().items);
      const Napi::Value o = args[2];
      CfganFitOptions f;
      f.epochs = static_cast<size_t>(integer_arg(option(o, "epochs"), "epochs", 1, kMaxEpochs));
      f.batch_size = static_cast<size_t>(integer_arg(option(o, "batchSize"), "batchSize", 1, int64_t{1} << 31));
      if (!option(o, "lr").IsUndefined()) f.lr = static_cast<float>(number_arg(option(o, "lr"), "lr"));
      require(f.lr > 0.f, ErrorCode::OutOfRange, "lr must be > 0");
      if (!option(o, "dSteps").IsUndefined()) {
        f.d_steps = static_cast<size_t>(integer_arg(option(o, "dSteps"), "dSteps", 1, 1000));
      }
      f.pm_ratio = ratio_option(o, "pmRatio", f.pm_ratio);
      f.zr_ratio = ratio_option(o, "zrRatio", f.zr_ratio);
      if (!option(o, "zrWeight").IsUndefined()) {
        f.zr_weight = static_cast<float>(number_arg(option(o, "zrWeight"), "zrWeight"));
        require(f.zr_weight >= 0.f, ErrorCode::OutOfRange, "zrWeight must be ≥ 0");
      }
      const Napi::Value device = option(o, "device");
      if (!device.IsUndefined()) {
        const std::string d = string_arg(device, "device");
        require(d == "cpu" || d == "cuda" || d == "auto", ErrorCode::InvalidArg, "device must be 'cpu', 'cuda' or 'auto'");
        f.device = d == "cuda" || (d == "auto" && cuda_api() != nullptr);
      }
      CancelFlag cancel = cancel_flag_arg(args[4], "token");
      auto epochs = std::make_shared<size_t>(0);
      return ProgressWorker<CfganProgress>::run(
          args.Env(), {args[0], args[1]}, args[3],
          [m, data, f, cancel, epochs](const ProgressWorker<CfganProgress>::Send& send) {
            *epochs = m->fit(data, f, cancel.get(), [&](const CfganProgress& p) { send(p); });
          },
          [](Napi::Env env, const Napi::Function& callback, const CfganProgress& p) {
            Napi::Object o = Napi::Object::New(env);
            o.Set("epoch", static_cast<double>(p.epoch));
            o.Set("dLoss", p.d_loss);
            o.Set("gLoss", p.g_loss);
            o.Set("zrLoss", p.zr_loss);
            callback.Call({o});
          },
          [epochs, cancel, m](Napi::Env env) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("epochs", static_cast<double>(*epochs));
            o.Set("aborted", cancel->load() || m->stop_requested());
            return o;
          });
    });
  }

  struct ScoreRequest {
    PurchaseCsr data;
    const int32_t* users;
    size_t count;
  };

  static ScoreRequest score_request(const Cfgan& m, const Napi::CallbackInfo& args) {
    ScoreRequest r;
    r.data = csr_arg(args[0], args[1], m.config().items);
    const ArrayView<uint32_t> users = uint32_array(args[2], "users");
    for (size_t j = 0; j < users.length; ++j) {
      require(users.data[j] < r.data.users, ErrorCode::OutOfRange,
              "users[" + std::to_string(j) + "] = " + std::to_string(users.data[j]) + " is outside 0.." +
                  std::to_string(r.data.users - 1));
    }
    r.users = reinterpret_cast<const int32_t*>(users.data);
    r.count = users.length;
    return r;
  }

  // score(offsets, items, users) -> Float32Array users.length × items.
  Napi::Value score(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      CfganPtr m = live();
      const ScoreRequest r = score_request(*m, args);
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(r.count * m->config().items));
      m->score(r.data, r.users, r.count, out.Data());
      return out;
    });
  }

  Napi::Value score_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
      CfganPtr m = live();
      const ScoreRequest r = score_request(*m, args);
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(r.count * m->config().items));
      float* out_data = out.Data();
      auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
      return run_async(
          args.Env(), {args[0], args[1], args[2], out}, [m, r, out_data] { m->score(r.data, r.users, r.count, out_data); },
          [result](Napi::Env) -> Napi::Value { return result->Value(); });
    });
  }

  // parameters() -> { generator, discriminator }: flat copies in the Mlp layout.
  Napi::Value parameters(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      CfganPtr m = live();
      std::shared_lock<std::shared_mutex> lock(m->mutex());
      Napi::Object o = Napi::Object::New(args.Env());
      o.Set("generator", copy_to_js(args.Env(), m->generator().parameters(), m->generator().parameter_count()));
      o.Set("discriminator",
            copy_to_js(args.Env(), m->discriminator().parameters(), m->discriminator().parameter_count()));
      return o;
    });
  }

  Napi::Value dispose(const Napi::CallbackInfo& args) {
    if (model_) model_->request_stop();
    model_.reset();
    return args.Env().Undefined();
  }

  CfganPtr model_;
};

}  // namespace

void register_cfgan(Napi::Env env, Napi::Object exports) { exports.Set("CfganHandle", CfganHandle::define(env)); }

}  // namespace reckit::binding
