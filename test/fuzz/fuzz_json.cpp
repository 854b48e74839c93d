// libFuzzer harness: the strict JSON reader used for safetensors headers.
#include "core/json.h"
#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return fuzz_guard([&] { reckit::json::parse(reinterpret_cast<const char*>(data), size, "fuzz input"); });
}
