// What lets one .cu source build both ways: with nvcc for a GPU, and with g++ against the emulator
// (cuda/emu/cuda_emu.h, RECKIT_CUDA_EMULATED) for the conformance suite on machines without one.
// Kernels use these macros for the two constructs whose syntax g++ cannot parse: the <<<>>> launch and
// `extern __shared__` dynamic shared memory. Everything else is ordinary CUDA C++.
#pragma once

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define RECKIT_CUDA_BACKEND "cuda"
// kernel: a __global__ function or a pointer to one (name template instances through a pointer: commas).
#define RECKIT_LAUNCH(kernel, grid, block, shared_bytes, stream, ...) \
  kernel<<<(grid), (block), (shared_bytes), (stream)>>>(__VA_ARGS__)
#define RECKIT_DYNAMIC_SHARED(T, name)                                    \
  extern __shared__ __align__(16) unsigned char reckit_dynamic_shared_[]; \
  T* name = reinterpret_cast<T*>(reckit_dynamic_shared_)
// Separate rounding of a product and a sum: nvcc would otherwise contract a * b + c into one FMA,
// which rounds once and so differs from the CPU's bits.
#define RECKIT_MUL_RN(a, b) __fmul_rn((a), (b))
#define RECKIT_ADD_RN(a, b) __fadd_rn((a), (b))
#define RECKIT_UNROLL _Pragma("unroll")
#elif defined(RECKIT_CUDA_EMULATED)
#include "cuda/emu/cuda_emu.h"
#define RECKIT_CUDA_BACKEND "emulated"
#define RECKIT_LAUNCH(kernel, grid, block, shared_bytes, stream, ...) \
  ::reckit::emu::launch((grid), (block), (shared_bytes), (stream), kernel, __VA_ARGS__)
#define RECKIT_DYNAMIC_SHARED(T, name) T* name = reinterpret_cast<T*>(::reckit::emu::dynamic_shared())
#define RECKIT_MUL_RN(a, b) ((a) * (b))
#define RECKIT_ADD_RN(a, b) ((a) + (b))
#define RECKIT_UNROLL
#else
#error "cuda_compat.h: compile with nvcc, or with RECKIT_CUDA_EMULATED and the emulator"
#endif
