// Shared by the libFuzzer harnesses: reckit's loaders must turn any input into either a valid object or
// a reckit::Error. Anything else (a crash, a sanitizer report, another exception type) is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <new>

#include "core/error.h"

// Runs `body`; reckit::Error is the expected rejection of bad bytes. std::bad_alloc is tolerated
// (a header may legitimately ask for more than the fuzzer's -rss_limit); every other exception escapes
// and libFuzzer reports it as a crash.
template <typename Body>
int fuzz_guard(Body&& body) {
  try {
    body();
  } catch (const reckit::Error&) {
  } catch (const std::bad_alloc&) {
  }
  return 0;
}
