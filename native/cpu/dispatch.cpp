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
  // Every family starts from its portable table; an ISA replaces the families it has kernels for.
  Kernels k{isa,
            vector_ops_portable(),
            probe_ops_portable(),
            gemm_kernels_portable(),
            optimizer_ops_portable(),
            topk_scan_portable(),
            embedding_portable()};
  switch (isa) {
#if defined(RECKIT_HAVE_AVX512)
    case Isa::Avx512:
      k.vector = vector_ops_avx512();
      k.probe = probe_ops_avx512();
      k.gemm = gemm_kernels_avx512();
      k.optimizer = optimizer_ops_avx512();
      k.topk = topk_scan_avx512();
      k.embedding = embedding_avx512();
      break;
#endif
#if defined(RECKIT_HAVE_AVX2)
    case Isa::Avx2:
      k.vector = vector_ops_avx2();
      k.probe = probe_ops_avx2();
      k.gemm = gemm_kernels_avx2();
      k.optimizer = optimizer_ops_avx2();
      k.topk = topk_scan_avx2();
      k.embedding = embedding_avx2();
      break;
#endif
#if defined(RECKIT_HAVE_NEON)
    case Isa::Neon: k.vector = vector_ops_neon(); break;
#endif
    default: break;
  }
  return k;
}

const Kernels& kernels() { return active().table; }
const std::string& isa_note() { return active().note; }

}  // namespace reckit::cpu
