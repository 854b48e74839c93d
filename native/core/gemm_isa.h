// The GEMM of core/gemm.h run on an explicit kernel table instead of the active ISA's, so tests and
// benchmarks can drive every ISA path in one process (ops.gemm's `isa` option). Same contract otherwise.
#pragma once
#include "core/gemm.h"
#include "cpu/gemm.h"

namespace reckit {

void gemm_f32_with(const cpu::GemmKernels& kernels, Transpose trans_a, Transpose trans_b, size_t m, size_t n,
                   size_t k, float alpha, const float* a, size_t lda, const float* b, size_t ldb, float beta,
                   float* c, size_t ldc, const GemmEpilogue* epilogue = nullptr);

}  // namespace reckit
