// ops.gemm / ops.gemmAsync: the packed float32 GEMM with its fused epilogue, exposed for tests and
// benchmarks. gemm(a, b, c | undefined, bias | undefined, options) -> Float32Array (c, or a new m×n array).
// Every shape, stride and value is checked here before the core runs; the optional `isa` option runs a
// specific supported ISA's kernels, and `device: 'cuda'` (resolved from 'auto' by lib/ops-gemm.ts) runs the
// reckit_cuda library's tiled kernel instead (no gate epilogue, no isa: the TS layer keeps those on the CPU).
#include <napi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/async.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/cuda_loader.h"
#include "core/gemm.h"
#include "core/gemm_isa.h"
#include "core/validate.h"
#include "cpu/dispatch.h"

namespace reckit::binding {
namespace {

constexpr int64_t kMaxDim = int64_t{1} << 31;
constexpr int64_t kMaxOutput = int64_t{1} << 32;  // elements of a Float32Array we allocate (16 GiB)

struct GemmCall {
  cpu::GemmKernels kernels;
  Transpose trans_a = Transpose::No, trans_b = Transpose::No;
  size_t m = 0, n = 0, k = 0, lda = 0, ldb = 0, ldc = 0;
  float alpha = 1.f, beta = 0.f;
  const float* a = nullptr;
  const float* b = nullptr;
  float* c = nullptr;  // null until the output is known (allocated on the JS thread)
  bool has_epilogue = false;
  bool cuda = false;  // run on the reckit_cuda library (uploads a, b, bias, c; downloads c)
  GemmEpilogue epilogue;

  void run() const {
    if (cuda) {
      const CudaApi* api = cuda_api();
      require(api != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
      char message[512] = {0};
      raise_cuda_status(api->gemm_f32(trans_a == Transpose::Yes, trans_b == Transpose::Yes, m, n, k, alpha, a, lda, b,
                                      ldb, beta, c, ldc, epilogue.bias, static_cast<int>(epilogue.activation),
                                      epilogue.alpha, message, sizeof message),
                        message);
      return;
    }
    gemm_f32_with(kernels, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                  has_epilogue ? &epilogue : nullptr);
  }
};

cpu::GemmKernels kernels_option(const Napi::Value& value) {
  if (value.IsUndefined() || value.IsNull()) return cpu::kernels().gemm;
  const std::string name = string_arg(value, "options.isa");
  for (cpu::Isa isa : {cpu::Isa::Portable, cpu::Isa::Neon, cpu::Isa::Avx2, cpu::Isa::Avx512}) {
    if (name == cpu::isa_name(isa)) {
      require(cpu::isa_supported(isa), ErrorCode::OutOfRange, "isa '" + name + "' is not supported on this machine");
      return cpu::kernels_for(isa).gemm;
    }
  }
  fail(ErrorCode::InvalidArg, "options.isa must be one of avx512, avx2, neon, portable");
}

bool bool_option(const Napi::Value& options, const char* key, const char* name) {
  const Napi::Value v = option(options, key);
  if (v.IsUndefined()) return false;
  if (!v.IsBoolean()) fail(ErrorCode::InvalidArg, std::string(name) + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

size_t dim_option(const Napi::Value& options, const char* key, const char* name) {
  return static_cast<size_t>(integer_arg(option(options, key), name, 0, kMaxDim));
}

// Leading dimension: defaults to the stored row length; must be at least that.
size_t ld_option(const Napi::Value& options, const char* key, const char* name, size_t row_length) {
  const Napi::Value v = option(options, key);
  if (v.IsUndefined()) return row_length;
  const size_t ld = static_cast<size_t>(integer_arg(v, name, 1, kMaxDim));
  require(ld >= row_length, ErrorCode::OutOfRange,
          std::string(name) + " must be at least " + std::to_string(row_length) + " (got " + std::to_string(ld) + ")");
  return ld;
}

// Elements a rows×cols row-major matrix with row stride ld spans.
size_t span(size_t rows, size_t cols, size_t ld) { return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols; }

void require_length(const ArrayView<float>& view, size_t needed, const char* name, const std::string& shape) {
  require(view.length >= needed, ErrorCode::DimMismatch,
          std::string(name) + " has " + std::to_string(view.length) + " elements but " + shape + " needs " +
              std::to_string(needed));
}

// NaN/Inf anywhere in the used part of a strided matrix, named by row and column.
void require_finite_matrix(const float* p, size_t rows, size_t cols, size_t ld, const char* name) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = p + r * ld;
    if (all_finite(row, cols)) continue;
    for (size_t col = 0; col < cols; ++col) {
      if (!std::isfinite(row[col])) {
        fail(ErrorCode::OutOfRange, std::string(name) + "[" + std::to_string(r) + "][" + std::to_string(col) + "] is " +
                                        (std::isnan(row[col]) ? "NaN" : "infinite") + "; values must be finite");
      }
    }
  }
}

bool overlaps(const float* x, size_t nx, const float* y, size_t ny) {
  if (nx == 0 || ny == 0) return false;
  const auto x0 = reinterpret_cast<uintptr_t>(x), y0 = reinterpret_cast<uintptr_t>(y);
  return x0 < y0 + ny * sizeof(float) && y0 < x0 + nx * sizeof(float);
}

Activation activation_option(const Napi::Value& value) {
  if (value.IsUndefined()) return Activation::Linear;
  const std::string name = string_arg(value, "options.activation");
  if (name == "linear") return Activation::Linear;
  if (name == "relu") return Activation::Relu;
  if (name == "leaky_relu") return Activation::LeakyRelu;
  if (name == "tanh") return Activation::Tanh;
  if (name == "sigmoid") return Activation::Sigmoid;
  fail(ErrorCode::InvalidArg, "options.activation must be one of linear, relu, leaky_relu, tanh, sigmoid");
}

// options.gate (m×n, stride options.ldGate), options.gateActivation, options.gateSlope: the backward pass's
// C ⊙ act'(gate). The gate is read while C is written, so it must not share memory with C.
void parse_gate(const Napi::Value& options, GemmCall* call) {
  const Napi::Value gate = option(options, "gate");
  const Napi::Value act = option(options, "gateActivation"), slope = option(options, "gateSlope");
  if (gate.IsUndefined()) {
    require(act.IsUndefined() && slope.IsUndefined() && option(options, "ldGate").IsUndefined(), ErrorCode::InvalidArg,
            "options.gateActivation, gateSlope and ldGate need options.gate");
    return;
  }
  const ArrayView<float> g = float32_array(gate, "options.gate");
  const size_t ld = ld_option(options, "ldGate", "options.ldGate", call->n);
  require_length(g, span(call->m, call->n, ld), "options.gate",
                 "gate (" + std::to_string(call->m) + "x" + std::to_string(call->n) + ", ldGate " + std::to_string(ld) + ")");
  require_finite_matrix(g.data, call->m, call->n, ld, "options.gate");
  call->epilogue.gate_activation = act.IsUndefined() ? Activation::Linear : activation_option(act);
  if (!slope.IsUndefined()) {
    require(call->epilogue.gate_activation == Activation::LeakyRelu, ErrorCode::InvalidArg,
            "options.gateSlope applies to gateActivation 'leaky_relu' only");
    call->epilogue.gate_slope = static_cast<float>(number_arg(slope, "options.gateSlope"));
  }
  if (call->c) {
    require(!overlaps(call->c, span(call->m, call->n, call->ldc), g.data, span(call->m, call->n, ld)),
            ErrorCode::InvalidArg, "options.c must not share memory with options.gate");
  }
  call->epilogue.gate = g.data;
  call->epilogue.ld_gate = ld;
}

// Parses and checks everything except the output array. args: a, b, c?, bias?, options.
GemmCall parse(const Napi::CallbackInfo& args, ArrayView<float>* c_view) {
  GemmCall call;
  const Napi::Value options = args[4];
  if (!options.IsObject()) fail(ErrorCode::InvalidArg, "options must be an object with m, n, k");
  const ArrayView<float> a = float32_array(args[0], "a");
  const ArrayView<float> b = float32_array(args[1], "b");
  call.kernels = kernels_option(option(options, "isa"));
  const Napi::Value device = option(options, "device");
  if (!device.IsUndefined()) {
    const std::string name = string_arg(device, "options.device");
    require(name == "cpu" || name == "cuda", ErrorCode::InvalidArg, "options.device must be 'cpu' or 'cuda' here");
    call.cuda = name == "cuda";
    require(!call.cuda || option(options, "isa").IsUndefined(), ErrorCode::InvalidArg,
            "options.isa selects CPU kernels; it cannot be combined with device 'cuda'");
  }
  call.m = dim_option(options, "m", "options.m");
  call.n = dim_option(options, "n", "options.n");
  call.k = dim_option(options, "k", "options.k");
  call.trans_a = bool_option(options, "transA", "options.transA") ? Transpose::Yes : Transpose::No;
  call.trans_b = bool_option(options, "transB", "options.transB") ? Transpose::Yes : Transpose::No;
  const Napi::Value alpha = option(options, "alpha"), beta = option(options, "beta");
  if (!alpha.IsUndefined()) call.alpha = static_cast<float>(number_arg(alpha, "options.alpha"));
  if (!beta.IsUndefined()) call.beta = static_cast<float>(number_arg(beta, "options.beta"));

  // Stored shapes: A is m×k (k×m when transposed), B is k×n (n×k when transposed).
  const bool ta = call.trans_a == Transpose::Yes, tb = call.trans_b == Transpose::Yes;
  const size_t a_rows = ta ? call.k : call.m, a_cols = ta ? call.m : call.k;
  const size_t b_rows = tb ? call.n : call.k, b_cols = tb ? call.k : call.n;
  call.lda = ld_option(options, "lda", "options.lda", a_cols);
  call.ldb = ld_option(options, "ldb", "options.ldb", b_cols);
  const std::string a_shape = "a (" + std::to_string(a_rows) + "x" + std::to_string(a_cols) + ", lda " +
                              std::to_string(call.lda) + ")";
  const std::string b_shape = "b (" + std::to_string(b_rows) + "x" + std::to_string(b_cols) + ", ldb " +
                              std::to_string(call.ldb) + ")";
  require_length(a, span(a_rows, a_cols, call.lda), "a", a_shape);
  require_length(b, span(b_rows, b_cols, call.ldb), "b", b_shape);
  require_finite_matrix(a.data, a_rows, a_cols, call.lda, "a");
  require_finite_matrix(b.data, b_rows, b_cols, call.ldb, "b");
  call.a = a.data;
  call.b = b.data;

  if (args[2].IsUndefined() || args[2].IsNull()) {
    require(option(options, "ldc").IsUndefined(), ErrorCode::InvalidArg, "options.ldc needs options.c");
    require(call.beta == 0.f, ErrorCode::InvalidArg, "options.beta needs options.c (the matrix it scales)");
    call.ldc = call.n;
    require(static_cast<double>(call.m) * static_cast<double>(call.n) <= static_cast<double>(kMaxOutput),
            ErrorCode::OutOfRange, "m·n = " + std::to_string(call.m) + "·" + std::to_string(call.n) +
                                       " is too large for a new output array; pass options.c");
    *c_view = ArrayView<float>{};
  } else {
    const ArrayView<float> c = float32_array(args[2], "options.c");
    call.ldc = ld_option(options, "ldc", "options.ldc", call.n);
    require_length(c, span(call.m, call.n, call.ldc), "options.c",
                   "c (" + std::to_string(call.m) + "x" + std::to_string(call.n) + ", ldc " + std::to_string(call.ldc) +
                       ")");
    if (call.beta != 0.f) require_finite_matrix(c.data, call.m, call.n, call.ldc, "options.c");
    const size_t c_span = span(call.m, call.n, call.ldc);
    require(!overlaps(c.data, c_span, a.data, span(a_rows, a_cols, call.lda)) &&
                !overlaps(c.data, c_span, b.data, span(b_rows, b_cols, call.ldb)),
            ErrorCode::InvalidArg, "options.c must not share memory with a or b");
    call.c = c.data;
    *c_view = c;
  }

  const Napi::Value bias = args[3];
  const Napi::Value activation = option(options, "activation");
  const Napi::Value slope = option(options, "slope");
  call.epilogue.activation = activation_option(activation);
  if (!slope.IsUndefined()) {
    require(call.epilogue.activation == Activation::LeakyRelu, ErrorCode::InvalidArg,
            "options.slope applies to activation 'leaky_relu' only");
    call.epilogue.alpha = static_cast<float>(number_arg(slope, "options.slope"));
  }
  if (!bias.IsUndefined() && !bias.IsNull()) {
    const ArrayView<float> bv = float32_array(bias, "options.bias");
    require(bv.length == call.n, ErrorCode::DimMismatch,
            "options.bias must have n = " + std::to_string(call.n) + " elements (got " + std::to_string(bv.length) + ")");
    require_finite(bv.data, bv.length, "options.bias");
    if (call.c) {
      require(!overlaps(call.c, span(call.m, call.n, call.ldc), bv.data, bv.length), ErrorCode::InvalidArg,
              "options.c must not share memory with options.bias");
    }
    call.epilogue.bias = bv.data;
  }
  parse_gate(options, &call);
  require(!call.cuda || call.epilogue.gate == nullptr, ErrorCode::InvalidArg,
          "options.gate (the backward gate epilogue) runs on the CPU only; use device 'cpu' or 'auto'");
  call.has_epilogue = call.epilogue.bias != nullptr || call.epilogue.activation != Activation::Linear ||
                      call.epilogue.gate != nullptr;
  return call;
}

// The output: the caller's c, or a new zero-initialized m×n array.
Napi::Float32Array output(const Napi::CallbackInfo& args, GemmCall& call) {
  if (call.c) return args[2].As<Napi::Float32Array>();
  Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(call.m * call.n));
  call.c = out.ElementLength() ? reinterpret_cast<float*>(static_cast<uint8_t*>(out.ArrayBuffer().Data()) +
                                                          out.ByteOffset())
                               : nullptr;
  return out;
}

Napi::Value gemm(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    ArrayView<float> c_view;
    GemmCall call = parse(args, &c_view);
    Napi::Float32Array out = output(args, call);
    if (call.c) call.run();
    return out;
  });
}

// What an async GEMM computes on: copies of its inputs, and a staging copy of a caller's c that is written
// back when the call settles. A caller may transfer (detach) any of these arrays while the worker runs, and
// its memory may then be freed (binding/async_inputs.h says why only a copy protects against that).
// Parsing reads the arrays in place first, so every check, overlaps included, is the sync path's.
struct GemmSnapshot {
  std::vector<float> a, b, bias, gate, c;
  Napi::ObjectReference caller_c;  // empty when reckit allocated the output
};

// Copies the whole Float32Array `value` into `copy` and returns where `p` (a pointer into it) lands there.
template <typename T>
T* rebase(std::vector<float>& copy, const Napi::Value& value, T* p) {
  if (p == nullptr) return nullptr;
  Napi::Float32Array array = value.As<Napi::Float32Array>();
  const float* base = array.Data();
  copy.assign(base, base + array.ElementLength());
  return copy.data() + (p - base);
}

Napi::Value gemm_async(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    ArrayView<float> c_view;
    GemmCall call = parse(args, &c_view);
    auto snap = std::make_shared<GemmSnapshot>();
    call.a = rebase(snap->a, args[0], call.a);
    call.b = rebase(snap->b, args[1], call.b);
    if (call.epilogue.bias) call.epilogue.bias = rebase(snap->bias, args[3], call.epilogue.bias);
    if (call.epilogue.gate) call.epilogue.gate = rebase(snap->gate, option(args[4], "gate"), call.epilogue.gate);
    if (call.c) {  // the caller's c: computed in a copy (beta may read it; its ldc gaps are kept), written at settle
      call.c = rebase(snap->c, args[2], call.c);
      snap->caller_c = Napi::Persistent(args[2].As<Napi::Object>());
    }
    Napi::Float32Array out = output(args, call);  // a new array when there is no c: nobody else holds it yet
    auto result = std::make_shared<Napi::ObjectReference>(Napi::Persistent(out.As<Napi::Object>()));
    return run_async(
        args.Env(), {},
        [call, snap] {
          if (call.c) call.run();
        },
        [result, snap](Napi::Env) -> Napi::Value {
          if (!snap->caller_c.IsEmpty()) {
            Napi::Float32Array c = snap->caller_c.Value().As<Napi::Float32Array>();
            require(c.ElementLength() == snap->c.size() && (snap->c.empty() || c.Data() != nullptr),
                    ErrorCode::InvalidArg, "options.c was detached (transferred) while the call ran");
            std::copy(snap->c.begin(), snap->c.end(), c.Data());
          }
          return result->Value();
        });
  });
}

}  // namespace

void register_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, gemm, "gemm"));
  exports.Set("gemmAsync", Napi::Function::New(env, gemm_async, "gemmAsync"));
}

}  // namespace reckit::binding
