// Mlp forward/backward/optimizer steps and the supervised mini-batch trainer (see mlp.h).
#include "core/mlp.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include "core/activations.h"
#include "core/error.h"
#include "core/philox.h"
#include "core/random.h"
#include "core/thread_pool.h"
#include "cpu/dispatch.h"

namespace reckit {
namespace {

// Element-wise passes are memory-bound; below this many elements a thread is not worth waking.
constexpr size_t kElementwiseChunk = 1 << 15;

// delta = upstream ⊙ act'(y), with the activation chosen outside the loop so each loop vectorizes.
// (The factor goes through a local: GCC 12 vectorizes that form of the select, not the inline one.)
template <Activation A>
void multiply_by_derivative_as(float slope, const float* up, const float* y, float* delta, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float factor = activation_derivative_from_output(A, y[i], slope);
    delta[i] = up[i] * factor;
  }
}

void multiply_by_derivative(Activation act, float slope, const float* up, const float* y, float* delta, size_t n) {
  // delta may alias up (in place), never y.
  switch (act) {
    case Activation::Linear:
      if (delta != up) std::copy(up, up + n, delta);
      return;
    case Activation::Relu: return multiply_by_derivative_as<Activation::Relu>(slope, up, y, delta, n);
    case Activation::LeakyRelu: return multiply_by_derivative_as<Activation::LeakyRelu>(slope, up, y, delta, n);
    case Activation::Tanh: return multiply_by_derivative_as<Activation::Tanh>(slope, up, y, delta, n);
    case Activation::Sigmoid: return multiply_by_derivative_as<Activation::Sigmoid>(slope, up, y, delta, n);
  }
}

template <typename Body>
void parallel_elements(size_t n, Body body) {
  ComputePool::instance().parallel_for(n, kElementwiseChunk, [&](size_t, size_t begin, size_t end) { body(begin, end); });
}

}  // namespace

Activation activation_from_name(const std::string& name) {
  if (name == "relu") return Activation::Relu;
  if (name == "leaky_relu") return Activation::LeakyRelu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  if (name == "linear") return Activation::Linear;
  fail(ErrorCode::InvalidArg, "activation must be one of relu, leaky_relu, tanh, sigmoid, linear (got '" + name + "')");
}

const char* activation_name(Activation activation) {
  switch (activation) {
    case Activation::Relu: return "relu";
    case Activation::LeakyRelu: return "leaky_relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
    case Activation::Linear: return "linear";
  }
  return "linear";
}

void validate_layers(size_t input, const std::vector<LayerSpec>& layers) {
  require(input >= 1 && input <= kMaxUnits, ErrorCode::OutOfRange,
          "input must be between 1 and " + std::to_string(kMaxUnits));
  require(!layers.empty(), ErrorCode::InvalidArg, "layers must list at least one layer");
  size_t in = input;
  size_t total = 0;
  for (size_t l = 0; l < layers.size(); ++l) {
    const LayerSpec& s = layers[l];
    const std::string name = "layers[" + std::to_string(l) + "]";
    require(s.units >= 1 && s.units <= kMaxUnits, ErrorCode::OutOfRange,
            name + ".units must be between 1 and " + std::to_string(kMaxUnits));
    require(std::isfinite(s.slope) && s.slope >= 0.f && s.slope <= 1.f, ErrorCode::OutOfRange,
            name + ".alpha must be in [0, 1]");
    total += in * s.units + s.units;
    require(total <= (size_t{1} << 31), ErrorCode::OutOfRange, "the network has more than 2^31 parameters");
    in = s.units;
  }
}

Mlp::Mlp(size_t input, std::vector<LayerSpec> layers, uint64_t seed, uint64_t stream_base)
    : input_(input), layers_(std::move(layers)) {
  validate_layers(input_, layers_);
  size_t total = 0;
  for (size_t l = 0; l < layers_.size(); ++l) {
    offsets_.push_back(total);
    total += layer_in(l) * layers_[l].units + layers_[l].units;
  }
  params_.assign(total, 0.f);
  grads_.assign(total, 0.f);
  for (size_t l = 0; l < layers_.size(); ++l) {
    const float bound = 1.f / std::sqrt(static_cast<float>(layer_in(l)));
    const size_t units = layers_[l].units;
    fill_uniform(params_.data() + weight_offset(l), layer_in(l) * units, seed, stream_base + 2 * l, -bound, bound);
    fill_uniform(params_.data() + bias_offset(l), units, seed, stream_base + 2 * l + 1, -bound, bound);
  }
}

size_t Mlp::max_width() const {
  size_t w = input_;
  for (const LayerSpec& s : layers_) w = std::max(w, s.units);
  return w;
}

void Mlp::prepare(MlpWorkspace& ws, size_t rows) const {
  ws.rows = rows;
  ws.acts.resize(layers_.size());
  for (size_t l = 0; l < layers_.size(); ++l) ws.acts[l].resize(rows * layers_[l].units);
  ws.delta.resize(rows * max_width());
  ws.carry.resize(rows * max_width());
}

void Mlp::forward(const float* x, size_t rows, MlpWorkspace& ws) const {
  prepare(ws, rows);
  const float* in = x;
  for (size_t l = 0; l < layers_.size(); ++l) {
    const size_t k = layer_in(l), n = layers_[l].units;
    GemmEpilogue epilogue;
    epilogue.bias = params_.data() + bias_offset(l);
    epilogue.activation = layers_[l].activation;
    epilogue.alpha = layers_[l].slope;
    gemm_f32(Transpose::No, Transpose::No, rows, n, k, 1.f, in, k, params_.data() + weight_offset(l), n, 0.f,
             ws.acts[l].data(), n, &epilogue);
    in = ws.acts[l].data();
  }
}

void Mlp::backward(const float* x, MlpWorkspace& ws, const float* grad_out, float* grad_input, bool param_grads,
                   bool accumulate) {
  const size_t rows = ws.rows;
  {
    // dL/dz of the top layer = dL/dy ⊙ act'(y). The derivative comes from the stored output y = act(z), so
    // forward never keeps z. Element-wise, so the split never changes a bit.
    const LayerSpec& s = layers_.back();
    const float* out = ws.acts.back().data();
    float* delta = ws.delta.data();
    parallel_elements(rows * s.units, [&](size_t begin, size_t end) {
      multiply_by_derivative(s.activation, s.slope, grad_out + begin, out + begin, delta + begin, end - begin);
    });
  }
  for (size_t li = layers_.size(); li-- > 0;) {
    const LayerSpec& s = layers_[li];
    const size_t k = layer_in(li), n = s.units;
    const float* delta = ws.delta.data();  // dL/dz of this layer
    const float* in = li == 0 ? x : ws.acts[li - 1].data();
    if (param_grads) {
      // dW = inᵀ · delta, db = column sums of delta.
      gemm_f32(Transpose::Yes, Transpose::No, k, n, rows, 1.f, in, k, delta, n, accumulate ? 1.f : 0.f,
               grads_.data() + weight_offset(li), n);
      // Row-major sweep (contiguous, vectorizes); each chunk owns a column range, so sums keep
      // their order whatever the thread count.
      float* db = grads_.data() + bias_offset(li);
      ComputePool::instance().parallel_for(n, 64, [&](size_t, size_t begin, size_t end) {
        float* __restrict out_sum = db + begin;
        if (!accumulate) std::fill(out_sum, out_sum + (end - begin), 0.f);
        for (size_t r = 0; r < rows; ++r) {
          const float* __restrict row = delta + r * n + begin;
          for (size_t j = 0; j < end - begin; ++j) out_sum[j] += row[j];
        }
      });
    }
    if (li == 0 && grad_input == nullptr) break;
    // dL/d(input of this layer) = delta · Wᵀ, into `carry` (or the caller's buffer for layer 0). Below the
    // first layer, the GEMM's gate turns it straight into the layer below's dL/dz: ⊙ act'(its output).
    float* target = li == 0 ? grad_input : ws.carry.data();
    GemmEpilogue gate;
    if (li > 0 && layers_[li - 1].activation != Activation::Linear) {
      gate.gate = ws.acts[li - 1].data();
      gate.ld_gate = k;
      gate.gate_activation = layers_[li - 1].activation;
      gate.gate_slope = layers_[li - 1].slope;
    }
    gemm_f32(Transpose::No, Transpose::Yes, rows, k, n, 1.f, delta, n, params_.data() + weight_offset(li), n, 0.f,
             target, k, gate.gate ? &gate : nullptr);
    if (li > 0) std::swap(ws.carry, ws.delta);  // the layer below's delta is this carry; delta is free again
  }
}

void Mlp::reset_optimizer() {
  adam_m_.clear();
  adam_v_.clear();
  velocity_.clear();
  adam_t_ = 0;
}

void Mlp::step(const OptimizerConfig& config) {
  const size_t count = params_.size();
  float* p = params_.data();
  const float* g = grads_.data();
  if (config.kind == OptimizerKind::Adam) {
    if (adam_m_.size() != count) {
      adam_m_.assign(count, 0.f);
      adam_v_.assign(count, 0.f);
      adam_t_ = 0;
    }
    ++adam_t_;
    const AdamStep s = make_adam_step(config, adam_t_);
    float* m = adam_m_.data();
    float* v = adam_v_.data();
    const auto adam = cpu::kernels().optimizer.adam_f32;  // SIMD per ISA, same bits on every ISA
    parallel_elements(count, [&](size_t begin, size_t end) { adam(s, p + begin, g + begin, m + begin, v + begin, end - begin); });
  } else {
    if (config.momentum != 0.f && velocity_.size() != count) velocity_.assign(count, 0.f);
    float* b = velocity_.empty() ? nullptr : velocity_.data();
    float unused = 0.f;
    parallel_elements(count, [&](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) sgd_update(config, &p[i], g[i], b ? &b[i] : &unused);
    });
  }
}

double loss_and_grad(LossKind kind, const float* z, const float* y, size_t n, float* grad, float scale) {
  double total = 0.0;
  for (size_t i = 0; i < n; ++i) {
    float g;
    total += loss_element(kind, z[i], y[i], &g);
    if (grad) grad[i] = g * scale;
  }
  return n ? total / static_cast<double>(n) : 0.0;
}

void philox_permutation(uint32_t* out, size_t n, uint64_t seed, uint64_t stream) {
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint32_t>(i);
  PhiloxBlock block{};
  for (size_t step = 0; step + 1 < n; ++step) {
    if (step % 4 == 0) block = philox_block(seed, stream, step / 4);
    const size_t i = n - 1 - step;
    // Lemire's multiply-shift maps a 32-bit word onto [0, i]; bias < 2^-32·n, irrelevant here.
    const size_t j = static_cast<size_t>((static_cast<uint64_t>(block.v[step % 4]) * (i + 1)) >> 32);
    std::swap(out[i], out[j]);
  }
}

void epoch_order(uint32_t* order, size_t rows, const TrainOptions& options, size_t epoch) {
  if (options.shuffle) {
    philox_permutation(order, rows, options.seed, epoch);
  } else {
    for (size_t i = 0; i < rows; ++i) order[i] = static_cast<uint32_t>(i);
  }
}

std::vector<double> train_mlp(Mlp& mlp, const float* x, const float* y, size_t rows, const TrainOptions& options,
                              const std::atomic<bool>* cancel, const EpochCallback& on_epoch) {
  if (options.device) return train_mlp_device(mlp, x, y, rows, options, cancel, on_epoch);
  const size_t in = mlp.input_dim(), out = mlp.output_dim();
  const size_t batch = std::min(options.batch_size, rows);
  MlpWorkspace ws;
  mlp.prepare(ws, batch);
  std::vector<float> bx(batch * in), by(batch * out), grad(batch * out);
  std::vector<uint32_t> order(rows);
  std::vector<double> losses;
  for (size_t epoch = 0; epoch < options.epochs; ++epoch) {
    epoch_order(order.data(), rows, options, epoch);
    double epoch_loss = 0.0;
    for (size_t start = 0; start < rows; start += batch) {
      if (cancel && cancel->load(std::memory_order_relaxed)) return losses;
      const size_t b = std::min(batch, rows - start);
      for (size_t r = 0; r < b; ++r) {
        const size_t src = order[start + r];
        std::copy(x + src * in, x + (src + 1) * in, bx.begin() + r * in);
        std::copy(y + src * out, y + (src + 1) * out, by.begin() + r * out);
      }
      std::unique_lock<std::shared_mutex> lock(mlp.mutex());  // per mini-batch: readers get in between
      mlp.forward(bx.data(), b, ws);
      const double loss = loss_and_grad(options.loss, ws.acts.back().data(), by.data(), b * out, grad.data(),
                                        1.f / static_cast<float>(b * out));
      mlp.backward(bx.data(), ws, grad.data(), nullptr, true, false);
      mlp.step(options.optimizer);
      epoch_loss += loss * static_cast<double>(b);
    }
    losses.push_back(epoch_loss / static_cast<double>(rows));
    if (on_epoch && !on_epoch(epoch, losses.back())) break;
  }
  return losses;
}

}  // namespace reckit
