// libFuzzer harness: EmbeddingTable from a saved image (with optimizer state), then reads of the
// first and last rows and a copy of the whole table.
#include <vector>

#include "core/embedding_table.h"
#include "core/embedding_table_io.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_guard([&] {
    auto table = reckit::EmbeddingTableIo::from_buffer(data, size, true);
    std::vector<float> row(table->dim());
    table->get_row(0, row.data());
    table->get_row(table->rows() - 1, row.data());
    if (table->rows() * table->dim() <= (size_t{1} << 22)) {
      std::vector<float> all(table->rows() * table->dim());
      table->copy_all(all.data());
    }
  });
}
