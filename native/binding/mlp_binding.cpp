// The native face of Mlp (lib/mlp.ts): an ObjectWrap around a shared core Mlp plus the cache of the
// last forward() that backward() consumes. Background jobs keep the core object alive through a
// shared_ptr, so dispose() never frees memory a running job uses.
#include <napi.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/async_inputs.h"
#include "binding/errors.h"
#include "binding/model_args.h"
#include "binding/progress_worker.h"
#include "binding/registry.h"
#include "core/cuda_loader.h"
#include "core/mlp.h"
#include "core/mlp_device.h"
#include "core/model_io.h"

namespace reckit::binding {
namespace {

constexpr size_t kMaxEpochs = size_t{1} << 30;

bool device_failure(ErrorCode code) {
  return code == ErrorCode::OutOfMemory || code == ErrorCode::Internal || code == ErrorCode::NoDevice;
}

// Everything below is guarded by mlp->mutex() (exclusive for changes); on_cuda is also read without it.
struct MlpSession {
  explicit MlpSession(std::unique_ptr<Mlp> m) : mlp(std::move(m)) {}
  std::unique_ptr<Mlp> mlp;
  MlpWorkspace cache;  // activations of the last forward() (cache.input: its x, also for a device forward)
  bool has_cache = false;
  bool cache_on_device =
      false;  // the last forward ran on the device copy number cache_serial, which keeps its activations
  uint64_t cache_serial = 0;
  // Placement (docs/cuda.md): on_cuda runs calls on the resident device copy; `automatic` ('auto') moves the model
  // to the CPU on a device failure instead of throwing.
  std::atomic<bool> on_cuda{false};
  bool automatic = false;
  std::shared_ptr<MlpDevice> device;  // created by the first device call; a running train holds it too
  uint64_t device_serial = 0;  // counts the device copies made, so a kept forward knows its own

  MlpDevice& resident() {
    if (!device) {
      device = std::make_shared<MlpDevice>(*mlp);
      ++device_serial;
    }
    return *device;
  }
  // The kept forward's activations are on the current device copy.
  bool cache_on_resident() const { return cache_on_device && on_cuda && device && cache_serial == device_serial; }
  // Before the host Mlp is read: its mirror brought up to date.
  void pull() {
    if (device) device->pull();
  }
  // A change to the host Mlp: the device copy is refreshed from it by the next device call.
  template <class F>
  void host_write(F&& write) {
    pull();
    write();
    if (device) device->host_changed();
  }
  void move_to_cpu() {
    on_cuda = false;
    if (!device) return;
    try {
      device->release();  // pulls first
    } catch (const Error&) {
      // the device failed on the way back too: the host keeps its last copy
    }
    device.reset();
  }
  // Runs on_device on the resident copy, or on_cpu on the CPU. On 'auto', a device failure (out of memory, a
  // CUDA error) moves the model to the CPU, with its state pulled first, and runs on_cpu instead.
  template <class D, class C>
  void placed(D&& on_device, C&& on_cpu) {
    if (!on_cuda) return on_cpu();
    try {
      on_device(resident());
    } catch (const Error& e) {
      if (!automatic || !device_failure(e.code())) throw;
      move_to_cpu();
      on_cpu();
    }
  }
};
using SessionPtr = std::shared_ptr<MlpSession>;

struct EpochReport {
  size_t epoch;
  double loss;
};

class MlpHandle : public Napi::ObjectWrap<MlpHandle> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "MlpHandle",
                       {InstanceMethod<&MlpHandle::describe>("describe"),
                        InstanceMethod<&MlpHandle::forward>("forward"),
                        InstanceMethod<&MlpHandle::forward_async>("forwardAsync"),
                        InstanceMethod<&MlpHandle::predict>("predict"),
                        InstanceMethod<&MlpHandle::predict_async>("predictAsync"),
                        InstanceMethod<&MlpHandle::backward>("backward"),
                        InstanceMethod<&MlpHandle::step>("step"),
                        InstanceMethod<&MlpHandle::parameters>("parameters"),
                        InstanceMethod<&MlpHandle::gradients>("gradients"),
                        InstanceMethod<&MlpHandle::set_parameters>("setParameters"),
                        InstanceMethod<&MlpHandle::train>("train"),
                        InstanceMethod<&MlpHandle::train_async>("trainAsync"),
                        InstanceMethod<&MlpHandle::to_buffer>("toBuffer"),
                        InstanceMethod<&MlpHandle::save>("save"),
                        InstanceMethod<&MlpHandle::save_async>("saveAsync"),
                        InstanceMethod<&MlpHandle::dispose>("dispose"),
                        InstanceMethod<&MlpHandle::set_device>("setDevice"),
                        InstanceMethod<&MlpHandle::device>("device"),
                        StaticMethod<&MlpHandle::from_buffer>("fromBuffer"),
                        StaticMethod<&MlpHandle::load>("load"),
                        StaticMethod<&MlpHandle::load_async>("loadAsync")});
  }

  // new MlpHandle(input, layers, seed) or new MlpHandle(external) from fromBuffer/load.
  explicit MlpHandle(const Napi::CallbackInfo& args) : Napi::ObjectWrap<MlpHandle>(args) {
    translate_errors(args.Env(), [&] {
      if (args[0].IsExternal()) {
        session_ = *args[0].As<Napi::External<SessionPtr>>().Data();
        return;
      }
      const size_t input = static_cast<size_t>(integer_arg(args[0], "input", 1, static_cast<int64_t>(kMaxUnits)));
      std::vector<LayerSpec> layers = layers_arg(args[1], "layers");
      const uint64_t seed = args[2].IsUndefined() ? 0 : seed_arg(args[2], "seed");
      session_ = std::make_shared<MlpSession>(std::make_unique<Mlp>(input, std::move(layers), seed));
    });
  }

 private:
  SessionPtr live() const {
    require(session_ != nullptr, ErrorCode::Disposed, "this Mlp was disposed");
    return session_;
  }

  Napi::Value describe(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      Napi::Object o = Napi::Object::New(args.Env());
      o.Set("input", static_cast<double>(s->mlp->input_dim()));
      o.Set("output", static_cast<double>(s->mlp->output_dim()));
      o.Set("parameterCount", static_cast<double>(s->mlp->parameter_count()));
      o.Set("layers", layers_to_js(args.Env(), s->mlp->layers()));
      std::shared_lock<std::shared_mutex> lock(s->mlp->mutex());
      o.Set("adamSteps", static_cast<double>(s->mlp->adam_steps()));
      return o;
    });
  }

  // forward(x): output rows, keeping the activations (and a copy of x) for backward().
  Napi::Value forward(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const ArrayView<float> x = float32_array(args[0], "x");
      const size_t rows = rows_arg(x, s->mlp->input_dim(), "x");
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(rows * s->mlp->output_dim()));
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      run_forward(*s, x.data, rows, out.Data());
      return out;
    });
  }

  Napi::Value forward_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
      SessionPtr s = live();
      const ArrayView<float> x = float32_array(args[0], "x");
      const size_t rows = rows_arg(x, s->mlp->input_dim(), "x");
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(rows * s->mlp->output_dim()));
      float* out_data = out.Data();
      auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
      return run_async(
          args.Env(), {args[0], out},
          [s, x, rows, out_data] {
            std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
            run_forward(*s, x.data, rows, out_data);
          },
          [result](Napi::Env) -> Napi::Value { return result->Value(); });
    });
  }

  static void run_forward(MlpSession& s, const float* x, size_t rows, float* out) {
    s.has_cache = false;
    s.cache.input.assign(x, x + rows * s.mlp->input_dim());
    s.placed(
        [&](MlpDevice& d) {
          d.forward(s.cache.input.data(), rows, out);
          s.cache.rows = rows;
          s.cache_on_device = true;
          s.cache_serial = s.device_serial;
        },
        [&] {
          s.pull();
          s.mlp->forward(s.cache.input.data(), rows, s.cache);
          std::copy(s.cache.acts.back().begin(), s.cache.acts.back().end(), out);
          s.cache_on_device = false;
        });
    s.has_cache = true;
  }

  // predict(x): output rows without touching the model (a read: concurrent predictions are fine).
  Napi::Value predict(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const ArrayView<float> x = float32_array(args[0], "x");
      const size_t rows = rows_arg(x, s->mlp->input_dim(), "x");
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(rows * s->mlp->output_dim()));
      run_predict(*s, x.data, rows, out.Data());
      return out;
    });
  }

  Napi::Value predict_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
      SessionPtr s = live();
      const ArrayView<float> x = float32_array(args[0], "x");
      const size_t rows = rows_arg(x, s->mlp->input_dim(), "x");
      Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(rows * s->mlp->output_dim()));
      float* out_data = out.Data();
      auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
      return run_async(
          args.Env(), {args[0], out}, [s, x, rows, out_data] { run_predict(*s, x.data, rows, out_data); },
          [result](Napi::Env) -> Napi::Value { return result->Value(); });
    });
  }

  static void run_predict(MlpSession& s, const float* x, size_t rows, float* out) {
    auto on_cpu = [&] {
      MlpWorkspace ws;
      s.mlp->forward(x, rows, ws);
      std::copy(ws.acts.back().begin(), ws.acts.back().end(), out);
    };
    if (!s.on_cuda) {
      std::shared_lock<std::shared_mutex> lock(s.mlp->mutex());
      if (!s.on_cuda) return on_cpu();  // a read: CPU predictions run side by side
    }
    // The device copy is used one call at a time (the library serializes its handle's calls anyway).
    std::unique_lock<std::shared_mutex> lock(s.mlp->mutex());
    s.placed([&](MlpDevice& d) { d.predict(x, rows, out); },
             [&] {
               s.pull();
               on_cpu();
             });
  }

  // backward(gradOut) -> { inputGrad, parameterGrads }: gradients of the last forward(); the
  // parameter gradients also become the ones step() applies.
  Napi::Value backward(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const ArrayView<float> g = float32_array(args[0], "gradOut");
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      require(s->has_cache, ErrorCode::InvalidArg, "backward() needs a forward() first");
      const size_t rows = s->cache.rows;
      require(g.length == rows * s->mlp->output_dim(), ErrorCode::DimMismatch,
              "gradOut must have " + std::to_string(rows * s->mlp->output_dim()) +
                  " values (the rows × outputs of the last forward), got " + std::to_string(g.length));
      rows_arg(g, s->mlp->output_dim(), "gradOut");
      Napi::Float32Array input_grad = Napi::Float32Array::New(args.Env(), js_length<float>(rows * s->mlp->input_dim()));
      // On the CPU: from the CPU's activations, recomputed first when the forward ran on a device since let go.
      auto on_cpu = [&] {
        s->host_write([&] {
          if (s->cache_on_device) s->mlp->forward(s->cache.input.data(), rows, s->cache);
          s->cache_on_device = false;
          s->mlp->backward(s->cache.input.data(), s->cache, g.data, input_grad.Data(), true, false);
        });
      };
      if (s->cache_on_resident()) {
        s->placed([&](MlpDevice& d) { d.backward(g.data, rows, input_grad.Data()); }, on_cpu);
      } else {
        on_cpu();
      }
      Napi::Object o = Napi::Object::New(args.Env());
      o.Set("inputGrad", input_grad);
      o.Set("parameterGrads", copy_to_js(args.Env(), s->mlp->gradients(), s->mlp->parameter_count()));
      return o;
    });
  }

  // step(optimizer, grads?): one optimizer update from `grads` (default: the last backward()'s).
  Napi::Value step(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const OptimizerConfig config = optimizer_arg(args[0], "optimizer");
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      const float* grads = nullptr;
      if (!args[1].IsUndefined()) {
        const ArrayView<float> g = float32_array(args[1], "grads");
        require(g.length == s->mlp->parameter_count(), ErrorCode::DimMismatch,
                "grads must have " + std::to_string(s->mlp->parameter_count()) + " values");
        rows_arg(g, 1, "grads");
        grads = g.data;
      }
      s->placed([&](MlpDevice& d) { d.step(config, grads); },
                [&] {
                  s->host_write([&] {
                    if (grads) std::copy(grads, grads + s->mlp->parameter_count(), s->mlp->gradients());
                    s->mlp->step(config);
                  });
                });
      return args.Env().Undefined();
    });
  }

  Napi::Value parameters(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      s->pull();
      return copy_to_js(args.Env(), s->mlp->parameters(), s->mlp->parameter_count());
    });
  }

  Napi::Value gradients(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      s->pull();
      return copy_to_js(args.Env(), s->mlp->gradients(), s->mlp->parameter_count());
    });
  }

  Napi::Value set_parameters(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const ArrayView<float> p = float32_array(args[0], "parameters");
      require(p.length == s->mlp->parameter_count(), ErrorCode::DimMismatch,
              "parameters must have " + std::to_string(s->mlp->parameter_count()) + " values, got " +
                  std::to_string(p.length));
      rows_arg(p, 1, "parameters");
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      s->host_write([&] { std::copy(p.data, p.data + p.length, s->mlp->parameters()); });
      s->has_cache = false;  // cached activations belong to the old weights
      return args.Env().Undefined();
    });
  }

  struct TrainJob {
    ArrayView<float> x, y;
    size_t rows;
    TrainOptions options;
    std::string device;  // the call's device option ("" = the model's placement)
  };

  TrainJob train_job(const Napi::CallbackInfo& args, const MlpSession& s) {
    TrainJob job;
    job.x = float32_array(args[0], "x");
    job.y = float32_array(args[1], "y");
    job.rows = rows_arg(job.x, s.mlp->input_dim(), "x");
    const size_t y_rows = rows_arg(job.y, s.mlp->output_dim(), "y");
    require(y_rows == job.rows, ErrorCode::DimMismatch,
            "x has " + std::to_string(job.rows) + " rows but y has " + std::to_string(y_rows));
    const Napi::Value o = args[2];
    TrainOptions& t = job.options;
    t.epochs = static_cast<size_t>(integer_arg(option(o, "epochs"), "epochs", 1, kMaxEpochs));
    t.batch_size = static_cast<size_t>(integer_arg(option(o, "batchSize"), "batchSize", 1, static_cast<int64_t>(job.rows)));
    t.loss = loss_arg(option(o, "loss"), "loss");
    t.optimizer = optimizer_arg(option(o, "optimizer"), "optimizer");
    const Napi::Value shuffle = option(o, "shuffle");
    t.shuffle = shuffle.IsUndefined() ? true : shuffle.ToBoolean().Value();
    const Napi::Value seed = option(o, "seed");
    t.seed = seed.IsUndefined() ? 0 : seed_arg(seed, "seed");
    const Napi::Value device = option(o, "device");
    if (!device.IsUndefined()) {
      const std::string d = string_arg(device, "device");
      require(d == "cpu" || d == "cuda" || d == "auto", ErrorCode::InvalidArg, "device must be 'cpu', 'cuda' or 'auto'");
      require(d != "cuda" || cuda_api() != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
      job.device = d;
    }
    return job;
  }

  // Training, wherever it runs: on the resident copy of a device model (unless the call says 'cpu'), on a
  // transient device copy for a CPU model whose call asks for the device, else on the CPU.
  static std::vector<double> run_train(MlpSession& s, const TrainJob& job, const std::atomic<bool>* cancel,
                                       const EpochCallback& on_epoch) {
    std::shared_ptr<MlpDevice> device;
    {
      std::unique_lock<std::shared_mutex> lock(s.mlp->mutex());
      s.has_cache = false;
      if (s.on_cuda && job.device != "cpu") {
        s.resident();
        device = s.device;
      }
    }
    const float* x = job.x.data;
    const float* y = job.y.data;
    if (!device) {
      TrainOptions options = job.options;
      options.device = !s.on_cuda && (job.device == "cuda" || (job.device == "auto" && cuda_api() != nullptr));
      if (!options.device && s.on_cuda) {
        // A device model trained on the CPU for this call: from the device's state, which the run then replaces.
        std::unique_lock<std::shared_mutex> lock(s.mlp->mutex());
        s.pull();
        if (s.device) s.device->host_changed();  // changes below land on the host: the device re-uploads
      }
      auto losses = train_mlp(*s.mlp, x, y, job.rows, options, cancel, on_epoch);
      std::unique_lock<std::shared_mutex> lock(s.mlp->mutex());
      if (s.device) s.device->host_changed();
      return losses;
    }
    size_t done = 0;
    std::vector<double> losses;
    auto let_go_if_moved = [&] {
      // The model moved to the CPU meanwhile (setDevice, or another call's fallback): this run's device copy
      // goes back into the host and is freed.
      std::unique_lock<std::shared_mutex> lock(s.mlp->mutex());
      if (s.device != device) device->release();
    };
    try {
      losses = train_mlp_resident(*s.mlp, *device, x, y, job.rows, job.options, cancel, on_epoch, false, &done);
    } catch (const Error& e) {
      let_go_if_moved();
      bool fallback = false;
      {
        std::unique_lock<std::shared_mutex> lock(s.mlp->mutex());
        // Nothing ran on the device (its allocations come first): 'auto' trains on the CPU instead.
        fallback = s.automatic && done == 0 && device_failure(e.code()) && s.device == device;
        if (fallback) s.move_to_cpu();
      }
      if (!fallback) throw;
      return train_mlp(*s.mlp, x, y, job.rows, job.options, cancel, on_epoch);
    }
    let_go_if_moved();
    return losses;
  }

  static Napi::Array losses_to_js(Napi::Env env, const std::vector<double>& losses) {
    Napi::Array a = Napi::Array::New(env, losses.size());
    for (size_t i = 0; i < losses.size(); ++i) a.Set(static_cast<uint32_t>(i), losses[i]);
    return a;
  }

  // train(x, y, options) -> per-epoch mean losses (blocking; trainAsync is the off-loop form).
  Napi::Value train(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const TrainJob job = train_job(args, *s);
      return losses_to_js(args.Env(), run_train(*s, job, nullptr, {}));
    });
  }

  // trainAsync(x, y, options, onEpoch?, token?) -> Promise<{ losses, aborted }>
  Napi::Value train_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      AsyncInputs inputs;  // inputs read below are copied: JS may detach them mid-call
      SessionPtr s = live();
      const TrainJob job = train_job(args, *s);
      CancelFlag cancel = cancel_flag_arg(args[4], "token");
      auto losses = std::make_shared<std::vector<double>>();
      return ProgressWorker<EpochReport>::run(
          args.Env(), {args[0], args[1]}, args[3],
          [s, job, cancel, losses](const ProgressWorker<EpochReport>::Send& send) {
            *losses = run_train(*s, job, cancel.get(), [&](size_t epoch, double loss) {
              send(EpochReport{epoch, loss});
              return !cancel->load();
            });
          },
          [](Napi::Env env, const Napi::Function& callback, const EpochReport& r) {
            callback.Call({Napi::Number::New(env, static_cast<double>(r.epoch)), Napi::Number::New(env, r.loss)});
          },
          [losses, cancel](Napi::Env env) -> Napi::Value {
            Napi::Object o = Napi::Object::New(env);
            o.Set("losses", losses_to_js(env, *losses));
            o.Set("aborted", cancel->load());
            return o;
          });
    });
  }

  Napi::Value to_buffer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      std::vector<uint8_t> bytes;
      {
        std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
        s->pull();
        bytes = mlp_to_buffer(*s->mlp);
      }
      return Napi::Buffer<uint8_t>::Copy(args.Env(), bytes.data(), bytes.size());
    });
  }

  Napi::Value save(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const std::string path = string_arg(args[0], "path");
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      s->pull();
      mlp_save(*s->mlp, path);
      return args.Env().Undefined();
    });
  }

  // saveAsync(path): the write (and fsync) off the event loop, under a read lock.
  Napi::Value save_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const std::string path = string_arg(args[0], "path");
      return run_async(
          args.Env(), {},
          [s, path] {
            std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
            s->pull();
            mlp_save(*s->mlp, path);
          },
          [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
    });
  }

  static Napi::Value wrap(Napi::Env env, const Napi::Function& cls, std::unique_ptr<Mlp> mlp) {
    auto* holder = new SessionPtr(std::make_shared<MlpSession>(std::move(mlp)));
    Napi::External<SessionPtr> external =
        Napi::External<SessionPtr>::New(env, holder, [](Napi::Env, SessionPtr* p) { delete p; });
    return cls.New({external});
  }

  static Napi::Value wrap(const Napi::CallbackInfo& args, std::unique_ptr<Mlp> mlp) {
    // In a static method `this` is the class itself, so no constructor needs storing per environment.
    return wrap(args.Env(), args.This().As<Napi::Function>(), std::move(mlp));
  }

  // loadAsync(path): reads and validates off the event loop; the handle is made on the JS thread.
  static Napi::Value load_async(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      const std::string path = string_arg(args[0], "path");
      auto cls = std::make_shared<Napi::FunctionReference>(Napi::Persistent(args.This().As<Napi::Function>()));
      auto loaded = std::make_shared<std::unique_ptr<Mlp>>();
      return run_async(
          args.Env(), {}, [path, loaded] { *loaded = mlp_load(path); },
          [cls, loaded](Napi::Env env) -> Napi::Value { return wrap(env, cls->Value(), std::move(*loaded)); });
    });
  }

  static Napi::Value from_buffer(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      require(args[0].IsTypedArray() || args[0].IsArrayBuffer(), ErrorCode::InvalidArg, "buffer must be a Buffer or Uint8Array");
      const uint8_t* data;
      size_t size;
      if (args[0].IsArrayBuffer()) {
        Napi::ArrayBuffer ab = args[0].As<Napi::ArrayBuffer>();
        data = static_cast<const uint8_t*>(ab.Data());
        size = ab.ByteLength();
      } else {
        Napi::TypedArray ta = args[0].As<Napi::TypedArray>();
        data = static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
        size = ta.ByteLength();
      }
      return wrap(args, mlp_from_buffer(data, size));
    });
  }

  static Napi::Value load(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      return wrap(args, mlp_load(string_arg(args[0], "path")));
    });
  }

  // setDevice('auto' | 'cpu' | 'cuda'): where calls run from now on (docs/cuda.md). 'cuda' without CUDA is
  // ERR_RECKIT_NO_DEVICE; 'cpu' brings the device's state back and frees the device memory.
  Napi::Value set_device(const Napi::CallbackInfo& args) {
    return translate_errors(args.Env(), [&]() -> Napi::Value {
      SessionPtr s = live();
      const std::string d = string_arg(args[0], "device");
      require(d == "cpu" || d == "cuda" || d == "auto", ErrorCode::InvalidArg,
              "device must be 'cpu', 'cuda' or 'auto'");
      require(d != "cuda" || cuda_api() != nullptr, ErrorCode::NoDevice,
              "CUDA is not available: " + cuda_status().reason);
      std::unique_lock<std::shared_mutex> lock(s->mlp->mutex());
      s->automatic = d == "auto";
      if (d == "cpu" || cuda_api() == nullptr) {
        s->move_to_cpu();
      } else {
        s->on_cuda = true;
      }
      return args.Env().Undefined();
    });
  }

  // 'cuda' or 'cpu': where calls run now.
  Napi::Value device(const Napi::CallbackInfo& args) {
    return translate_errors(
        args.Env(), [&]() -> Napi::Value { return Napi::String::New(args.Env(), live()->on_cuda ? "cuda" : "cpu"); });
  }

  Napi::Value dispose(const Napi::CallbackInfo& args) {
    session_.reset();
    return args.Env().Undefined();
  }

  SessionPtr session_;
};

// mlpLoss(kind, output, target) -> { loss, grad }: the mean loss and dL/d(output) of the mean.
Napi::Value mlp_loss(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const LossKind kind = loss_arg(args[0], "loss");
    const ArrayView<float> z = float32_array(args[1], "output");
    const ArrayView<float> y = float32_array(args[2], "target");
    require(z.length == y.length, ErrorCode::DimMismatch, "output and target must have the same length");
    rows_arg(z, 1, "output");
    rows_arg(y, 1, "target");
    Napi::Float32Array grad = Napi::Float32Array::New(args.Env(), js_length<float>(z.length));
    const double loss = loss_and_grad(kind, z.data, y.data, z.length, grad.Data(), 1.f / static_cast<float>(z.length));
    Napi::Object o = Napi::Object::New(args.Env());
    o.Set("loss", loss);
    o.Set("grad", grad);
    return o;
  });
}

}  // namespace

void register_mlp(Napi::Env env, Napi::Object exports) {
  exports.Set("MlpHandle", MlpHandle::define(env));
  exports.Set("mlpLoss", Napi::Function::New(env, mlp_loss, "mlpLoss"));
  register_cancel_tokens(env, exports);
}

}  // namespace reckit::binding
