// Element-wise training ops on the GPU, with the per-element math shared with the CPU: the mean loss and
// its gradient (core/losses.h) and the dense Adam step (core/optimizers.h). The loss sum is reduced in
// double, per block in a fixed tree and then across blocks in block order, so it is deterministic.
#include "core/losses.h"
#include "core/optimizers.h"
#include "cuda/block_sum.cuh"
#include "cuda/cuda_common.h"
#include "cuda/training_launch.h"

namespace {

constexpr unsigned kThreads = 256;
constexpr unsigned kLossThreads = 128;
// Loss blocks stride over the input: a loss is little work per element, and few partial sums keep the final
// single-block sum short.
constexpr unsigned kMaxLossBlocks = 128;

// grid-stride loss: grad[i] = dL/dz_i · scale; partial[block] = Σ loss_i over the block's elements.
__global__ void __launch_bounds__(kLossThreads) loss_kernel(int kind, const float* z, const float* y, size_t n,
                                                        float* grad, float scale, double* partial) {
  __shared__ double sums[kLossThreads];
  double local = 0.0;
  for (size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<size_t>(gridDim.x) * blockDim.x) {
    float g;
    local += reckit::loss_element(static_cast<reckit::LossKind>(kind), z[i], y[i], &g);
    if (grad) grad[i] = g * scale;
  }
  const double total = reckit::cuda::block_tree_sum<kLossThreads>(sums, local);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

// One block adds the partial sums, each thread a fixed set of them, then the same tree.
__global__ void __launch_bounds__(kLossThreads) sum_partials_kernel(const double* partial, unsigned count, double* total) {
  __shared__ double sums[kLossThreads];
  double local = 0.0;
  for (unsigned i = threadIdx.x; i < count; i += kLossThreads) local += partial[i];
  const double sum = reckit::cuda::block_tree_sum<kLossThreads>(sums, local);
  if (threadIdx.x == 0) *total = sum;
}

__global__ void __launch_bounds__(kThreads) adam_kernel(reckit::AdamStep step, float* p, const float* g, float* m,
                                                        float* v, size_t n) {
  const size_t i = static_cast<size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) reckit::adam_update(step, &p[i], g[i], &m[i], &v[i]);
}

}  // namespace

namespace reckit::cuda {

double device_loss_sum(int kind, const float* z, const float* y, size_t n, float* grad, float scale) {
  if (n == 0) return 0.0;
  const unsigned blocks = blocks_for(n, kLossThreads) < kMaxLossBlocks ? blocks_for(n, kLossThreads) : kMaxLossBlocks;
  DeviceBuffer<double> partial(blocks, "cudaMalloc(partial sums)");
  DeviceBuffer<double> total(1, "cudaMalloc(total)");
  RECKIT_LAUNCH(loss_kernel, blocks, kLossThreads, 0, nullptr, kind, z, y, n, grad, scale, partial.get());
  check_launch("loss_kernel");
  RECKIT_LAUNCH(sum_partials_kernel, 1, kLossThreads, 0, nullptr, partial.get(), blocks, total.get());
  check_launch("sum_partials_kernel");
  double sum = 0.0;
  total.copy_to_host(&sum, 1);
  return sum;
}

void launch_adam(const reckit::AdamStep& step, float* p, const float* g, float* m, float* v, size_t n) {
  if (n == 0) return;
  RECKIT_LAUNCH(adam_kernel, blocks_for(n, kThreads), kThreads, 0, nullptr, step, p, g, m, v, n);
  check_launch("adam_kernel");
}

}  // namespace reckit::cuda

RECKIT_CUDA_EXPORT int reckit_cuda_loss_f32(int kind, const float* z, const float* y, size_t n, float* grad_out,
                                            float scale, double* mean_out, char* message, size_t message_size) {
  using namespace reckit::cuda;
  *mean_out = 0.0;
  return guard(message, message_size, [&] {
    if (kind != 0 && kind != 1) invalid("kind must be 0 (BCE with logits) or 1 (MSE)");
    if (n == 0) return;
    const unsigned blocks = blocks_for(n, kLossThreads) < kMaxLossBlocks ? blocks_for(n, kLossThreads) : kMaxLossBlocks;
    DeviceBuffer<float> d_z(z, n, "cudaMalloc(output)");
    DeviceBuffer<float> d_y(y, n, "cudaMalloc(target)");
    DeviceBuffer<float> d_grad(grad_out ? n : 0, "cudaMalloc(grad)");
    DeviceBuffer<double> partial(blocks, "cudaMalloc(partial sums)");
    DeviceBuffer<double> total(1, "cudaMalloc(total)");
    RECKIT_LAUNCH(loss_kernel, blocks, kLossThreads, 0, nullptr, kind, d_z.get(), d_y.get(), n,
                  grad_out ? d_grad.get() : nullptr, scale, partial.get());
    check_launch("loss_kernel");
    RECKIT_LAUNCH(sum_partials_kernel, 1, kLossThreads, 0, nullptr, partial.get(), blocks, total.get());
    check_launch("sum_partials_kernel");
    double sum = 0.0;
    total.copy_to_host(&sum, 1);
    if (grad_out) d_grad.copy_to_host(grad_out, n);
    *mean_out = sum / static_cast<double>(n);
  });
}

RECKIT_CUDA_EXPORT int reckit_cuda_adam_f32(float* params, const float* grads, float* m, float* v, size_t n, float lr,
                                            float beta1, float beta2, float eps, float weight_decay, uint64_t step,
                                            char* message, size_t message_size) {
  using namespace reckit::cuda;
  return guard(message, message_size, [&] {
    if (step == 0) invalid("Adam steps count from 1");
    if (n == 0) return;
    reckit::OptimizerConfig c;
    c.lr = lr;
    c.beta1 = beta1;
    c.beta2 = beta2;
    c.eps = eps;
    c.weight_decay = weight_decay;
    const reckit::AdamStep s = reckit::make_adam_step(c, step);
    DeviceBuffer<float> d_p(params, n, "cudaMalloc(params)");
    DeviceBuffer<float> d_g(grads, n, "cudaMalloc(grads)");
    DeviceBuffer<float> d_m(m, n, "cudaMalloc(m)");
    DeviceBuffer<float> d_v(v, n, "cudaMalloc(v)");
    RECKIT_LAUNCH(adam_kernel, blocks_for(n, kThreads), kThreads, 0, nullptr, s, d_p.get(), d_g.get(), d_m.get(),
                  d_v.get(), n);
    check_launch("adam_kernel");
    d_p.copy_to_host(params, n);
    d_m.copy_to_host(m, n);
    d_v.copy_to_host(v, n);
  });
}
