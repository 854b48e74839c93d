// libFuzzer harness: CosineIndex::from_buffer, then a search and a get on whatever loaded, so a
// loaded-but-inconsistent index (ids vs rows, scales, rerank copies) is caught too.
#include <vector>

#include "core/cosine_index.h"
#include "cpu/dispatch.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_guard([&] {
    auto index = reckit::CosineIndex::from_buffer(data, size, reckit::cpu::kernels());
    if (index->dim() > 4096) return;
    std::vector<float> query(index->dim(), 0.5f);
    reckit::SearchRequest request;
    request.queries = query.data();
    request.n = 1;
    request.k = 3;
    std::vector<int64_t> ids(3);
    std::vector<float> scores(3);
    index->search(request, ids.data(), scores.data());
    std::vector<float> row(index->dim());
    for (int64_t id : ids) if (id >= 0) index->get(static_cast<uint64_t>(id), row.data());
    index->memory_usage();
  });
}
