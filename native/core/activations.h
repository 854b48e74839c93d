// Element-wise activation math (forward and derivative) shared by the GEMM epilogue, the Mlp backward
// pass and the CUDA kernels. Header-only and __host__ __device__ so every backend computes exactly this.
// Templates on the scalar type: float for the kernels, double for the finite-difference tests.
#pragma once
#include <math.h>

#include "core/gemm.h"  // enum class Activation

#if !defined(RECKIT_HD)
#if defined(__CUDACC__)
#define RECKIT_HD __host__ __device__ __forceinline__
#else
#define RECKIT_HD inline
#endif
#endif

namespace reckit {

// Scalar-type overloads so the templates below call expf/tanhf for float (not the double versions).
RECKIT_HD float act_exp(float x) { return expf(x); }
RECKIT_HD double act_exp(double x) { return exp(x); }
RECKIT_HD float act_tanh(float x) { return tanhf(x); }
RECKIT_HD double act_tanh(double x) { return tanh(x); }

// Sigmoid without overflow: exp is only ever taken of a non-positive number, so it never reaches inf and
// the result is accurate in both tails (1 - sigmoid(x) for large x does not round to 0 prematurely).
template <typename T>
RECKIT_HD T act_sigmoid(T x) {
  if (x >= T(0)) return T(1) / (T(1) + act_exp(-x));
  const T e = act_exp(x);
  return e / (T(1) + e);
}

// act(x). `slope` is leaky_relu's α (ignored by the others).
template <typename T>
RECKIT_HD T activation_forward(Activation act, T x, T slope) {
  switch (act) {
    case Activation::Linear: return x;
    case Activation::Relu: return x > T(0) ? x : T(0);
    case Activation::LeakyRelu: return x > T(0) ? x : slope * x;
    case Activation::Tanh: return act_tanh(x);
    case Activation::Sigmoid: return act_sigmoid(x);
  }
  return x;
}

// d act / dx at the pre-activation x. At the kink of relu/leaky_relu (x == 0) we take the left derivative
// (0, resp. α), the usual convention; finite-difference tests must avoid x == 0 exactly.
template <typename T>
RECKIT_HD T activation_derivative(Activation act, T x, T slope) {
  switch (act) {
    case Activation::Linear: return T(1);
    case Activation::Relu: return x > T(0) ? T(1) : T(0);
    case Activation::LeakyRelu: return x > T(0) ? T(1) : slope;
    case Activation::Tanh: {
      const T y = act_tanh(x);
      return T(1) - y * y;
    }
    case Activation::Sigmoid: {
      const T y = act_sigmoid(x);
      return y * (T(1) - y);
    }
  }
  return T(1);
}

// d act / dx expressed through the output y = act(x), so a backward pass needs to keep only the layer's
// output. Exact for every activation provided leaky_relu's α > 0 (then y > 0 ⇔ x > 0); with α <= 0 the
// sign of x cannot be recovered from y and callers must keep x and use activation_derivative instead.
template <typename T>
RECKIT_HD T activation_derivative_from_output(Activation act, T y, T slope) {
  switch (act) {
    case Activation::Linear: return T(1);
    case Activation::Relu: return y > T(0) ? T(1) : T(0);
    case Activation::LeakyRelu: return y > T(0) ? T(1) : slope;
    case Activation::Tanh: return T(1) - y * y;
    case Activation::Sigmoid: return y * (T(1) - y);
  }
  return T(1);
}

}  // namespace reckit
