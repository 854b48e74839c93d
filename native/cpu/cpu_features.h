// What the CPU and OS support, detected once; the ISA the kernels run on, chosen once at load.
#pragma once
#include <string>

namespace reckit::cpu {

// Ordered from least to most capable within an architecture family.
enum class Isa { Portable = 0, Neon = 1, Avx2 = 2, Avx512 = 3 };

const char* isa_name(Isa isa);

struct CpuFeatures {
  bool avx2_fma = false;   // AVX2 + FMA + F16C, and the OS saves YMM state
  bool avx512 = false;     // AVX-512 F/BW/VL/DQ, and the OS saves ZMM + opmask state
  bool avx512_bf16 = false;
  bool avx512_vnni = false;
  bool neon = false;
};

// Detected from cpuid + xgetbv (x86) or the architecture (arm64).
const CpuFeatures& cpu_features();

// The best ISA this build and this CPU support.
Isa best_supported_isa();
bool isa_supported(Isa isa);

// Result of applying RECKIT_ISA to the best supported ISA. `note` explains a request that could not be
// honoured (unknown name, or an ISA above what the CPU supports: reckit never raises the level).
struct IsaChoice {
  Isa isa;
  std::string note;
};
IsaChoice choose_isa(const char* requested);

}  // namespace reckit::cpu
