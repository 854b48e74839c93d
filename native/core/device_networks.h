// What the device fit loops (core/gan_device.cpp, core/cfgan_device.cpp) and the resident Mlp (core/mlp_device.cpp)
// share when they hand networks to the CUDA library: the layer lists in the ABI's arrays, a handle destroyed on every
// way out, and the copy of a network's parameters (and Adam moments) back into its Mlp. One place, so a change to
// the ABI's layer encoding or to how state comes back is made once.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cuda_loader.h"
#include "core/mlp.h"

namespace reckit {

// A network's layer list in the ABI's arrays (units, activation codes, leaky slopes).
struct LayerArrays {
  explicit LayerArrays(const Mlp& mlp) {
    for (const LayerSpec& s : mlp.layers()) {
      units.push_back(s.units);
      activations.push_back(static_cast<int>(s.activation));
      slopes.push_back(s.slope);
    }
  }
  std::vector<size_t> units;
  std::vector<int> activations;
  std::vector<float> slopes;
};

// A library handle (reckit_cuda_gan, reckit_cuda_cfgan, ...) destroyed with its own destroy function on every way
// out, so a throw between create and the end of a fit leaks no device memory.
template <class Handle>
class DeviceHandle {
 public:
  using Destroy = void (*)(Handle*);
  explicit DeviceHandle(Destroy destroy) : destroy_(destroy) {}
  ~DeviceHandle() {
    if (handle) destroy_(handle);
  }
  DeviceHandle(const DeviceHandle&) = delete;
  DeviceHandle& operator=(const DeviceHandle&) = delete;

  Handle* handle = nullptr;

 private:
  Destroy destroy_;
};

// True when the Mlp holds Adam moments for every parameter; without them Mlp::step restarts Adam (zero moments,
// t = 0), and the device does the same.
inline bool holds_adam(const Mlp& mlp) {
  return mlp.adam_m().size() == mlp.parameter_count();
}

// Copies network `which` (0: generator, 1: discriminator) of a two-network handle into `mlp` with the library's
// read function (gan_read, cfgan_read: the same shape): its parameters, and with `adam` its Adam moments and step
// count `t`. The caller holds the model's write lock.
template <class Handle, class Read>
void read_network(Read read, Handle* handle, int which, Mlp& mlp, bool adam, uint64_t t, char* message,
                  size_t message_size) {
  if (adam) {
    mlp.adam_m().resize(mlp.parameter_count());
    mlp.adam_v().resize(mlp.parameter_count());
  }
  raise_cuda_status(read(handle, which, mlp.parameters(), adam ? mlp.adam_m().data() : nullptr,
                         adam ? mlp.adam_v().data() : nullptr, message, message_size),
                    message);
  if (adam) mlp.set_adam_steps(t);
}

// The counters a GAN-style fit advances (Gan, Cfgan), kept locally during a device fit and written into the model
// together with the parameters, so a reader never sees one without the other.
struct FitCounters {
  uint64_t epochs_done = 0, d_steps_done = 0, g_steps_done = 0;
  template <class Model>
  static FitCounters of(const Model& m) {
    return FitCounters{m.epochs_done, m.d_steps_done, m.g_steps_done};
  }
  template <class Model>
  void store(Model& m) const {
    m.epochs_done = epochs_done;
    m.d_steps_done = d_steps_done;
    m.g_steps_done = g_steps_done;
  }
};

// A fit's stop test before each step: the caller's cancel flag or the model's dispose().
template <class Model>
bool fit_stop_asked(const std::atomic<bool>* cancel, const Model& model) {
  return (cancel && cancel->load(std::memory_order_relaxed)) || model.stop_requested();
}

// A device fit's library call: on failure, first keeps every whole update done so far in the model (`sync`, as the
// CPU loop keeps them), then throws with the library's message (copied first: sync reuses the buffer).
template <class Sync>
void keep_and_raise(int status, const char* message, Sync&& sync) {
  if (status == RECKIT_CUDA_OK) return;
  const std::string why = message;
  sync();
  raise_cuda_status(status, why.c_str());
}

}  // namespace reckit
