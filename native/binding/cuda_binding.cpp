// Kernel-level entry points of the CUDA backend (cudaTopk, cudaEmbeddingBag, cudaEmbeddingBagBackward,
// cudaEmbeddingStep, cudaGemm, cudaLoss, cudaAdam): typed arrays in, typed arrays out, each one call into the
// loaded reckit_cuda library. Internal: the conformance suite compares them with the CPU ops (the public objects' `device`
// option is not wired to them yet, see docs/cuda.md).
#include <napi.h>

#include <algorithm>
#include <string>
#include <vector>

#include "binding/args.h"
#include "binding/errors.h"
#include "binding/registry.h"
#include "core/cuda_loader.h"
#include "core/error.h"

namespace reckit::binding {
namespace {

const CudaApi& api() {
  const CudaApi* a = cuda_api();
  require(a != nullptr, ErrorCode::NoDevice, "CUDA is not available: " + cuda_status().reason);
  return *a;
}

// Turns a library status into the matching reckit error.
void raise_for(int status, const char* message) {
  switch (status) {
    case RECKIT_CUDA_OK: return;
    case RECKIT_CUDA_NO_DEVICE: fail(ErrorCode::NoDevice, message);
    case RECKIT_CUDA_OUT_OF_MEMORY: fail(ErrorCode::OutOfMemory, std::string("CUDA: ") + message);
    case RECKIT_CUDA_INVALID: fail(ErrorCode::InvalidArg, std::string("CUDA: ") + message);
    default: fail(ErrorCode::Internal, std::string("CUDA: ") + message);
  }
}

ArrayView<uint64_t> biguint64_array(const Napi::Value& value, const char* name) {
  require(value.IsTypedArray() && value.As<Napi::TypedArray>().TypedArrayType() == napi_biguint64_array,
          ErrorCode::InvalidArg, std::string(name) + " must be a BigUint64Array");
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  return {reinterpret_cast<uint64_t*>(static_cast<uint8_t*>(array.ArrayBuffer().Data()) + array.ByteOffset()),
          array.ElementLength()};
}

// cudaTopk(matrix, rows, dim, rowIds, queries, n, k, sliceRows) -> { ids: BigInt64Array, scores: Float32Array }
Napi::Value cuda_topk(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<float> matrix = float32_array(args[0], "matrix");
    const size_t rows = static_cast<size_t>(integer_arg(args[1], "rows", 0, 0xFFFFFFFEll));
    const size_t dim = static_cast<size_t>(integer_arg(args[2], "dim", 1, 1 << 20));
    const ArrayView<uint64_t> row_ids = biguint64_array(args[3], "rowIds");
    const ArrayView<float> queries = float32_array(args[4], "queries");
    const size_t n = static_cast<size_t>(integer_arg(args[5], "n", 0, 1 << 24));
    const size_t k = static_cast<size_t>(integer_arg(args[6], "k", 1, RECKIT_CUDA_TOPK_MAX_K));
    const size_t slice_rows = static_cast<size_t>(integer_arg(args[7], "sliceRows", 0, 0xFFFFFFFEll));
    require(matrix.length == rows * dim, ErrorCode::DimMismatch, "matrix must hold rows * dim values");
    require(row_ids.length == rows, ErrorCode::DimMismatch, "rowIds must hold one id per row");
    require(queries.length == n * dim, ErrorCode::DimMismatch, "queries must hold n * dim values");
    Napi::BigInt64Array ids = Napi::BigInt64Array::New(args.Env(), js_length<int64_t>(n * k));
    Napi::Float32Array scores = Napi::Float32Array::New(args.Env(), js_length<float>(n * k));
    char message[512] = {0};
    raise_for(api().topk_f32(matrix.data, rows, dim, row_ids.data, queries.data, n, k, slice_rows, ids.Data(),
                             scores.Data(), message, sizeof message),
              message);
    Napi::Object out = Napi::Object::New(args.Env());
    out.Set("ids", ids);
    out.Set("scores", scores);
    return out;
  });
}

// cudaEmbeddingBag(table, rows, dim, ids, offsets | null, weights | null, mode) -> Float32Array (bags x dim)
Napi::Value cuda_embedding_bag(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<float> table = float32_array(args[0], "table");
    const size_t rows = static_cast<size_t>(integer_arg(args[1], "rows", 1, 0xFFFFFFFFll));
    const size_t dim = static_cast<size_t>(integer_arg(args[2], "dim", 1, 1 << 20));
    const ArrayView<uint32_t> ids = uint32_array(args[3], "ids");
    const bool has_offsets = !args[4].IsNull() && !args[4].IsUndefined();
    const ArrayView<uint32_t> offsets = has_offsets ? uint32_array(args[4], "offsets") : ArrayView<uint32_t>{};
    const bool has_weights = !args[5].IsNull() && !args[5].IsUndefined();
    const ArrayView<float> weights = has_weights ? float32_array(args[5], "weights") : ArrayView<float>{};
    const int mode = static_cast<int>(integer_arg(args[6], "mode", 0, 2));
    require(table.length == rows * dim, ErrorCode::DimMismatch, "table must hold rows * dim values");
    require(!has_weights || weights.length == ids.length, ErrorCode::DimMismatch, "weights must match ids");
    const size_t bags = has_offsets ? offsets.length : ids.length;
    Napi::Float32Array out = Napi::Float32Array::New(args.Env(), js_length<float>(bags * dim));
    char message[512] = {0};
    raise_for(api().embedding_bag(table.data, rows, dim, ids.data, ids.length, has_offsets ? offsets.data : nullptr,
                                  bags, has_weights ? weights.data : nullptr, mode, out.Data(), message,
                                  sizeof message),
              message);
    return out;
  });
}

// cudaEmbeddingBagBackward(rows, dim, ids, offsets | null, weights | null, mode, gradOut)
//   -> { rows: Uint32Array, grads: Float32Array } (touched rows ascending)
Napi::Value cuda_embedding_bag_backward(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const size_t rows = static_cast<size_t>(integer_arg(args[0], "rows", 1, 0xFFFFFFFFll));
    const size_t dim = static_cast<size_t>(integer_arg(args[1], "dim", 1, 1 << 20));
    const ArrayView<uint32_t> ids = uint32_array(args[2], "ids");
    const bool has_offsets = !args[3].IsNull() && !args[3].IsUndefined();
    const ArrayView<uint32_t> offsets = has_offsets ? uint32_array(args[3], "offsets") : ArrayView<uint32_t>{};
    const bool has_weights = !args[4].IsNull() && !args[4].IsUndefined();
    const ArrayView<float> weights = has_weights ? float32_array(args[4], "weights") : ArrayView<float>{};
    const int mode = static_cast<int>(integer_arg(args[5], "mode", 0, 2));
    const ArrayView<float> grad_out = float32_array(args[6], "gradOut");
    const size_t bags = has_offsets ? offsets.length : ids.length;
    require(!has_weights || weights.length == ids.length, ErrorCode::DimMismatch, "weights must match ids");
    require(grad_out.length == bags * dim, ErrorCode::DimMismatch, "gradOut must hold bags * dim values");
    js_length<float>(ids.length * dim);  // the largest result it could be, checked before any work
    std::vector<uint32_t> touched_rows(ids.length);
    std::vector<float> grads(ids.length * dim);
    size_t touched = 0;
    char message[512] = {0};
    raise_for(api().embedding_bag_backward(rows, dim, ids.data, ids.length, has_offsets ? offsets.data : nullptr, bags,
                                           has_weights ? weights.data : nullptr, mode, grad_out.data,
                                           touched_rows.data(), grads.data(), &touched, message, sizeof message),
              message);
    Napi::Uint32Array out_rows = Napi::Uint32Array::New(args.Env(), js_length<uint32_t>(touched));
    std::copy(touched_rows.begin(), touched_rows.begin() + touched, out_rows.Data());
    Napi::Float32Array out_grads = Napi::Float32Array::New(args.Env(), js_length<float>(touched * dim));
    std::copy(grads.begin(), grads.begin() + touched * dim, out_grads.Data());
    Napi::Object out = Napi::Object::New(args.Env());
    out.Set("rows", out_rows);
    out.Set("grads", out_grads);
    return out;
  });
}

// cudaEmbeddingStep(table, rows, dim, stateA | null, stateB | null, steps | null, optimizer, lr, weightDecay, eps,
//   beta1, beta2, ids, offsets | null, weights | null, mode, gradOut) -> rows touched. table, the states and
// steps are updated in place.
Napi::Value cuda_embedding_step(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<float> table = float32_array(args[0], "table");
    const size_t rows = static_cast<size_t>(integer_arg(args[1], "rows", 1, 0xFFFFFFFFll));
    const size_t dim = static_cast<size_t>(integer_arg(args[2], "dim", 1, 1 << 20));
    auto optional_floats = [&](size_t i, const char* name) {
      return args[i].IsNull() || args[i].IsUndefined() ? ArrayView<float>{} : float32_array(args[i], name);
    };
    const ArrayView<float> state_a = optional_floats(3, "stateA");
    const ArrayView<float> state_b = optional_floats(4, "stateB");
    const ArrayView<uint32_t> steps =
        args[5].IsNull() || args[5].IsUndefined() ? ArrayView<uint32_t>{} : uint32_array(args[5], "steps");
    const int optimizer = static_cast<int>(integer_arg(args[6], "optimizer", 0, 2));
    const float lr = static_cast<float>(number_arg(args[7], "lr"));
    const float weight_decay = static_cast<float>(number_arg(args[8], "weightDecay"));
    const float eps = static_cast<float>(number_arg(args[9], "eps"));
    const float beta1 = static_cast<float>(number_arg(args[10], "beta1"));
    const float beta2 = static_cast<float>(number_arg(args[11], "beta2"));
    const ArrayView<uint32_t> ids = uint32_array(args[12], "ids");
    const bool has_offsets = !args[13].IsNull() && !args[13].IsUndefined();
    const ArrayView<uint32_t> offsets = has_offsets ? uint32_array(args[13], "offsets") : ArrayView<uint32_t>{};
    const ArrayView<float> weights = optional_floats(14, "weights");
    const int mode = static_cast<int>(integer_arg(args[15], "mode", 0, 2));
    const ArrayView<float> grad_out = float32_array(args[16], "gradOut");
    const size_t bags = has_offsets ? offsets.length : ids.length;
    require(table.length == rows * dim, ErrorCode::DimMismatch, "table must hold rows * dim values");
    require(!state_a.data || state_a.length == rows * dim, ErrorCode::DimMismatch, "stateA must hold rows * dim values");
    require(!state_b.data || state_b.length == rows * dim, ErrorCode::DimMismatch, "stateB must hold rows * dim values");
    require(!steps.data || steps.length == rows, ErrorCode::DimMismatch, "steps must hold one count per row");
    require(!weights.data || weights.length == ids.length, ErrorCode::DimMismatch, "weights must match ids");
    require(grad_out.length == bags * dim, ErrorCode::DimMismatch, "gradOut must hold bags * dim values");
    size_t touched = 0;
    char message[512] = {0};
    raise_for(api().embedding_sparse_step(table.data, rows, dim, state_a.data, state_b.data, steps.data, optimizer, lr,
                                          weight_decay, eps, beta1, beta2, ids.data, ids.length,
                                          has_offsets ? offsets.data : nullptr, bags, weights.data, mode,
                                          grad_out.data, &touched, message, sizeof message),
              message);
    return Napi::Number::New(args.Env(), static_cast<double>(touched));
  });
}

// cudaGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias | null, activation, slope) -> c
// (updated in place). Lengths are checked against the strides here; the library checks the strides.
Napi::Value cuda_gemm(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const bool trans_a = args[0].ToBoolean(), trans_b = args[1].ToBoolean();
    const size_t m = static_cast<size_t>(integer_arg(args[2], "m", 0, 1 << 24));
    const size_t n = static_cast<size_t>(integer_arg(args[3], "n", 0, 1 << 24));
    const size_t k = static_cast<size_t>(integer_arg(args[4], "k", 0, 1 << 24));
    const float alpha = static_cast<float>(number_arg(args[5], "alpha"));
    const ArrayView<float> a = float32_array(args[6], "a");
    const size_t lda = static_cast<size_t>(integer_arg(args[7], "lda", 0, 1 << 24));
    const ArrayView<float> b = float32_array(args[8], "b");
    const size_t ldb = static_cast<size_t>(integer_arg(args[9], "ldb", 0, 1 << 24));
    const float beta = static_cast<float>(number_arg(args[10], "beta"));
    const ArrayView<float> c = float32_array(args[11], "c");
    const size_t ldc = static_cast<size_t>(integer_arg(args[12], "ldc", 0, 1 << 24));
    const bool has_bias = !args[13].IsNull() && !args[13].IsUndefined();
    const ArrayView<float> bias = has_bias ? float32_array(args[13], "bias") : ArrayView<float>{};
    const int activation = static_cast<int>(integer_arg(args[14], "activation", 0, 4));
    const float slope = static_cast<float>(number_arg(args[15], "slope"));
    auto spans = [](size_t rows, size_t cols, size_t ld) { return rows == 0 || cols == 0 ? 0 : (rows - 1) * ld + cols; };
    require(a.length >= spans(trans_a ? k : m, trans_a ? m : k, lda), ErrorCode::DimMismatch, "a is too short");
    require(b.length >= spans(trans_b ? n : k, trans_b ? k : n, ldb), ErrorCode::DimMismatch, "b is too short");
    require(c.length >= spans(m, n, ldc), ErrorCode::DimMismatch, "c is too short");
    require(!has_bias || bias.length == n, ErrorCode::DimMismatch, "bias must hold n values");
    char message[512] = {0};
    raise_for(api().gemm_f32(trans_a, trans_b, m, n, k, alpha, a.data, lda, b.data, ldb, beta, c.data, ldc,
                             has_bias ? bias.data : nullptr, activation, slope, message, sizeof message),
              message);
    return args[11];
  });
}

// cudaLoss(kind, output, target) -> { loss, grad }: the mean loss and dL/d(output) of the mean (like mlpLoss).
Napi::Value cuda_loss(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const int kind = static_cast<int>(integer_arg(args[0], "kind", 0, 1));
    const ArrayView<float> z = float32_array(args[1], "output");
    const ArrayView<float> y = float32_array(args[2], "target");
    require(z.length == y.length, ErrorCode::DimMismatch, "output and target must have the same length");
    Napi::Float32Array grad = Napi::Float32Array::New(args.Env(), js_length<float>(z.length));
    double mean = 0.0;
    char message[512] = {0};
    raise_for(api().loss_f32(kind, z.data, y.data, z.length, grad.Data(),
                             z.length ? 1.f / static_cast<float>(z.length) : 1.f, &mean, message, sizeof message),
              message);
    Napi::Object o = Napi::Object::New(args.Env());
    o.Set("loss", mean);
    o.Set("grad", grad);
    return o;
  });
}

// cudaAdam(params, grads, m, v, lr, beta1, beta2, eps, weightDecay, step): params, m and v updated in place.
Napi::Value cuda_adam(const Napi::CallbackInfo& args) {
  return translate_errors(args.Env(), [&]() -> Napi::Value {
    const ArrayView<float> p = float32_array(args[0], "params");
    const ArrayView<float> g = float32_array(args[1], "grads");
    const ArrayView<float> m = float32_array(args[2], "m");
    const ArrayView<float> v = float32_array(args[3], "v");
    require(g.length == p.length && m.length == p.length && v.length == p.length, ErrorCode::DimMismatch,
            "params, grads, m and v must have the same length");
    const auto f = [&](size_t i, const char* name) { return static_cast<float>(number_arg(args[i], name)); };
    const uint64_t step = static_cast<uint64_t>(integer_arg(args[9], "step", 1, int64_t{1} << 52));
    char message[512] = {0};
    raise_for(api().adam_f32(p.data, g.data, m.data, v.data, p.length, f(4, "lr"), f(5, "beta1"), f(6, "beta2"),
                             f(7, "eps"), f(8, "weightDecay"), step, message, sizeof message),
              message);
    return args.Env().Undefined();
  });
}

}  // namespace

void register_cuda(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaTopk", Napi::Function::New(env, cuda_topk, "cudaTopk"));
  exports.Set("cudaEmbeddingBag", Napi::Function::New(env, cuda_embedding_bag, "cudaEmbeddingBag"));
  exports.Set("cudaEmbeddingBagBackward",
              Napi::Function::New(env, cuda_embedding_bag_backward, "cudaEmbeddingBagBackward"));
  exports.Set("cudaEmbeddingStep", Napi::Function::New(env, cuda_embedding_step, "cudaEmbeddingStep"));
  exports.Set("cudaLoss", Napi::Function::New(env, cuda_loss, "cudaLoss"));
  exports.Set("cudaAdam", Napi::Function::New(env, cuda_adam, "cudaAdam"));
  exports.Set("cudaGemm", Napi::Function::New(env, cuda_gemm, "cudaGemm"));
}

}  // namespace reckit::binding
