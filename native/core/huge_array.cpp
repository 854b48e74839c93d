// Large zeroed allocations backed by 2 MiB-aligned anonymous mappings with MADV_HUGEPAGE (Linux);
// calloc elsewhere and for small sizes. Anonymous mappings are zero-filled by the kernel for free.
#include "core/huge_array.h"

#include <cstdint>
#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace reckit {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

#if defined(__linux__)
// Mapped size of a huge allocation: rounded up to whole huge pages, plus one for alignment slack.
size_t mapped_bytes(size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage + kHugePage; }
#endif

}  // namespace

void* huge_alloc_zeroed(size_t bytes) {
  if (bytes == 0) return nullptr;
#if defined(__linux__)
  if (bytes >= kHugePage) {
    const size_t total = mapped_bytes(bytes);
    void* raw = ::mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    // Trim to a 2 MiB-aligned window of total - kHugePage bytes so the kernel can back it with huge pages.
    const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t aligned = (start + kHugePage - 1) & ~(kHugePage - 1);
    const size_t head = aligned - start, body = total - kHugePage;
    if (head) ::munmap(raw, head);
    if (kHugePage - head) ::munmap(reinterpret_cast<void*>(aligned + body), kHugePage - head);
    ::madvise(reinterpret_cast<void*>(aligned), body, MADV_HUGEPAGE);  // a hint: failure is harmless
    return reinterpret_cast<void*>(aligned);
  }
#endif
  void* p = std::calloc(1, bytes);
  if (!p) throw std::bad_alloc();
  return p;
}

void huge_free(void* data, size_t bytes) {
  if (!data) return;
#if defined(__linux__)
  if (bytes >= kHugePage) {
    ::munmap(data, mapped_bytes(bytes) - kHugePage);
    return;
  }
#endif
  std::free(data);
}

}  // namespace reckit
