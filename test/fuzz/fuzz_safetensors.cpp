// libFuzzer harness: the safetensors header and layout parser (File::from_buffer), then every
// tensor's bytes are read so a bad offset shows up as an out-of-bounds read.
#include "core/safetensors.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_guard([&] {
    auto file = reckit::st::File::from_buffer(data, size, true);
    volatile uint8_t sink = 0;
    for (const auto& entry : file->tensors()) {
      const auto& t = entry.second;
      for (size_t i = 0; i < t.bytes; i += 61) sink = sink ^ t.data[i];
      if (t.bytes > 0) sink = sink ^ t.data[t.bytes - 1];
    }
    (void)sink;
  });
}
