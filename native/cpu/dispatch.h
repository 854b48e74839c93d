// The kernel table the core calls through, filled once at load for the chosen ISA.
// Adding a kernel family: declare its table in <family>.h with one getter per ISA, add a member
// here, and fill it in dispatch.cpp. ISA files are compiled with their own flags by CMakeLists.txt
// (suffix _avx512/_avx2/_neon); keep shared inline templates out of them (ODR: one copy wins).
#pragma once
#include <string>

#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/optimizer_ops.h"
#include "cpu/embedding.h"
#include "cpu/probe.h"
#include "cpu/topk_scan.h"
#include "cpu/vector_ops.h"

namespace reckit::cpu {

struct Kernels {
  Isa isa;
  VectorOps vector;
  ProbeOps probe;
  GemmKernels gemm;
  OptimizerOps optimizer;
  TopkScan topk;
  EmbeddingKernels embedding;
};

// The active table: RECKIT_ISA (if set and supported) else the best supported ISA.
const Kernels& kernels();
// Why RECKIT_ISA was not honoured, or "" if it was (or was not set).
const std::string& isa_note();

// The table for a specific ISA (must be supported); for tests that compare every path in one process.
Kernels kernels_for(Isa isa);

}  // namespace reckit::cpu
