// Chooses the ISA once (first use) and fills the kernel table for it.
#include "cpu/dispatch.h"

#include <cstdlib>

#include "core/error.h"

namespace reckit::cpu {
namespace {

struct Active {
  Kernels table;
  std::string note;
};

const Active& active() {
  static const Active chosen = [] {
    const IsaChoice choice = choose_isa(std::getenv("RECKIT_ISA"));
    return Active{kernels_for(choice.isa), choice.note};
  }();
  return chosen;
}

}  // namespace

Kernels kernels_for(Isa isa) {
  require(isa_supported(isa), ErrorCode::OutOfRange, std::string("ISA ") + isa_name(isa) + " is not supported here");
  Kernels k{isa, vector_ops_portable(), probe_ops_portable()};
  switch (isa) {
#if defined(RECKIT_HAVE_AVX512)
    case Isa::Avx512:
      k.vector = vector_ops_avx512();
      k.probe = probe_ops_avx512();
      break;
#endif
#if defined(RECKIT_HAVE_AVX2)
    case Isa::Avx2:
      k.vector = vector_ops_avx2();
      k.probe = probe_ops_avx2();
      break;
#endif
#if defined(RECKIT_HAVE_NEON)
    case Isa::Neon: k.vector = vector_ops_neon(); break;
#endif
    default: break;
  }
  k.embedding = embedding_portable();
#if defined(RECKIT_HAVE_AVX512)
  if (isa == Isa::Avx512) k.embedding = embedding_avx512();
#endif
#if defined(RECKIT_HAVE_AVX2)
  if (isa == Isa::Avx2) k.embedding = embedding_avx2();
#endif
  return k;
}

const Kernels& kernels() { return active().table; }
const std::string& isa_note() { return active().note; }

}  // namespace reckit::cpu
