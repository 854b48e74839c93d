// What the device Gan (gan.cu) and the device CFGAN (cfgan.cu) hold alike: a generator and a discriminator
// (mlp_network.cuh) with their workspaces and Adam state, the rows of the last D update (whose fakes the G update
// reuses), a pinned staging buffer and the handle's lock. Both handles derive from it, so the networks' creation,
// the fresh Adam before any step, the read-back and the step preconditions are written once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/optimizers.h"
#include "cuda/cuda_common.h"
#include "cuda/mlp_network.cuh"
#include "cuda/pinned_staging.h"

namespace reckit::cuda {

// The Adam configuration of one step (eps and the rest: core's defaults, as Mlp::step uses them for a Gan).
inline reckit::OptimizerConfig adam_config(float lr, float beta1, float beta2) {
  reckit::OptimizerConfig c;
  c.kind = reckit::OptimizerKind::Adam;
  c.lr = lr;
  c.beta1 = beta1;
  c.beta2 = beta2;
  return c;
}

inline std::unique_ptr<DeviceBuffer<float>> device_floats(size_t n, const char* what) {
  return std::make_unique<DeviceBuffer<float>>(n, what);
}

// A network as the ABI passes it: input width, the layer arrays, and the host parameters to upload.
struct NetworkSpec {
  size_t input, layers;
  const size_t* units;
  const int* activations;
  const float* slopes;
  const float* params;
};

struct AdversarialPair {
  std::unique_ptr<DeviceNetwork> generator, discriminator;
  NetworkWorkspace g_ws, d_ws;
  size_t last_rows = 0;  // rows of the last D update, whose fakes the G update reuses
  PinnedStaging staging;
  std::mutex mutex;

  // Uploads both networks, checks that the generator emits `generator_output` values and the discriminator one
  // logit (else invalid(output_error)), and sizes both workspaces for backward: generator_rows and
  // discriminator_rows, the most a step runs through each.
  void create_networks(const NetworkSpec& g, const NetworkSpec& d, size_t generator_output, size_t generator_rows,
                       size_t discriminator_rows, const char* output_error) {
    generator = std::make_unique<DeviceNetwork>(g.input, g.layers, g.units, g.activations, g.slopes, g.params);
    discriminator = std::make_unique<DeviceNetwork>(d.input, d.layers, d.units, d.activations, d.slopes, d.params);
    if (generator->output() != generator_output || discriminator->output() != 1) invalid(output_error);
    generator->prepare(g_ws, generator_rows, true);
    discriminator->prepare(d_ws, discriminator_rows, true);
  }
  // Allocates both networks' Adam moments (zeros) now, so no step allocates; the last thing a create does.
  void prepare_adam() {
    generator->prepare_step(adam_config(1e-3f, 0.9f, 0.999f));
    discriminator->prepare_step(adam_config(1e-3f, 0.9f, 0.999f));
  }

  DeviceNetwork& network(int which) {
    if (which != 0 && which != 1) invalid("network must be 0 (generator) or 1 (discriminator)");
    return which == 0 ? *generator : *discriminator;
  }
  // The ABI's read: network `which`'s parameters and Adam moments to the host (null destinations skipped).
  void read(int which, float* params, float* adam_m, float* adam_v) {
    std::lock_guard<std::mutex> lock(mutex);
    network(which).read(params, nullptr, adam_m, adam_v, nullptr);
  }
  // A G update's preconditions; returns the rows of the D update it follows.
  size_t g_step_rows(uint64_t adam_step) const {
    if (last_rows == 0) invalid("a G update needs a D update before it");
    check_adam_step(adam_step);
    return last_rows;
  }
  static void check_adam_step(uint64_t adam_step) {
    if (adam_step == 0) invalid("Adam steps count from 1");
  }
};

}  // namespace reckit::cuda
