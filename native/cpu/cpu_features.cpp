// cpuid/xgetbv probing. Kept free of any ISA-specific compile flags: this file runs on every CPU.
#include "cpu/cpu_features.h"

#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define RECKIT_X86 1
#if defined(_MSC_VER)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#endif

namespace reckit::cpu {
namespace {

#if RECKIT_X86
void cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
#if defined(_MSC_VER)
  int r[4];
  __cpuidex(r, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) regs[i] = static_cast<unsigned>(r[i]);
#else
  __cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
#endif
}

unsigned long long xgetbv0() {
#if defined(_MSC_VER)
  return _xgetbv(0);
#else
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
#endif
}

CpuFeatures detect() {
  CpuFeatures f;
  unsigned r[4];
  cpuid(0, 0, r);
  const unsigned max_leaf = r[0];
  cpuid(1, 0, r);
  const bool osxsave = (r[2] >> 27) & 1, fma = (r[2] >> 12) & 1, f16c = (r[2] >> 29) & 1;
  const bool avx = (r[2] >> 28) & 1;
  if (!osxsave || !avx || max_leaf < 7) return f;
  const unsigned long long xcr0 = xgetbv0();
  const bool os_ymm = (xcr0 & 0x6) == 0x6;     // SSE + AVX state
  const bool os_zmm = (xcr0 & 0xE6) == 0xE6;   // + opmask, ZMM_Hi256, Hi16_ZMM
  cpuid(7, 0, r);
  const bool avx2 = (r[1] >> 5) & 1, bmi2 = (r[1] >> 8) & 1;
  const bool avx512f = (r[1] >> 16) & 1, avx512dq = (r[1] >> 17) & 1;
  const bool avx512bw = (r[1] >> 30) & 1, avx512vl = (r[1] >> 31) & 1;
  const bool avx512vnni = (r[2] >> 11) & 1;
  f.avx2_fma = os_ymm && avx2 && fma && f16c && bmi2;
  f.avx512 = f.avx2_fma && os_zmm && avx512f && avx512dq && avx512bw && avx512vl;
  f.avx512_vnni = f.avx512 && avx512vnni;
  cpuid(7, 1, r);
  f.avx512_bf16 = f.avx512 && ((r[0] >> 5) & 1);
  return f;
}
#else
CpuFeatures detect() {
  CpuFeatures f;
#if defined(__aarch64__) || defined(_M_ARM64)
  f.neon = true;  // Advanced SIMD is mandatory on AArch64
#endif
  return f;
}
#endif

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Portable: return "portable";
    case Isa::Neon: return "neon";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "portable";
}

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

bool isa_supported(Isa isa) {
  const CpuFeatures& f = cpu_features();
  switch (isa) {
    case Isa::Portable: return true;
#if defined(RECKIT_HAVE_NEON)
    case Isa::Neon: return f.neon;
#endif
#if defined(RECKIT_HAVE_AVX2)
    case Isa::Avx2: return f.avx2_fma;
#endif
#if defined(RECKIT_HAVE_AVX512)
    case Isa::Avx512: return f.avx512;
#endif
    default: return false;
  }
}

Isa best_supported_isa() {
  for (Isa isa : {Isa::Avx512, Isa::Avx2, Isa::Neon}) {
    if (isa_supported(isa)) return isa;
  }
  return Isa::Portable;
}

IsaChoice choose_isa(const char* requested) {
  const Isa best = best_supported_isa();
  if (!requested || !*requested) return {best, ""};
  Isa wanted;
  if (!std::strcmp(requested, "portable")) wanted = Isa::Portable;
  else if (!std::strcmp(requested, "neon")) wanted = Isa::Neon;
  else if (!std::strcmp(requested, "avx2")) wanted = Isa::Avx2;
  else if (!std::strcmp(requested, "avx512")) wanted = Isa::Avx512;
  else return {best, std::string("RECKIT_ISA=") + requested + " is not one of avx512|avx2|neon|portable; using " + isa_name(best)};
  if (!isa_supported(wanted)) {
    return {best, std::string("RECKIT_ISA=") + requested + " is not supported by this CPU/build; using " + isa_name(best)};
  }
  return {wanted, ""};
}

}  // namespace reckit::cpu
