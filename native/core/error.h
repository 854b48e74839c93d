// reckit::Error: the one exception type the core throws on bad input or failed I/O.
// The binding turns it into a JS TypeError/RangeError/Error carrying `.code` (ERR_RECKIT_*).
#pragma once
#include <stdexcept>
#include <string>

namespace reckit {

enum class ErrorCode {
  InvalidArg,   // wrong type/shape of an argument        -> TypeError  ERR_RECKIT_INVALID_ARG
  OutOfRange,   // a value outside its allowed range       -> RangeError ERR_RECKIT_OUT_OF_RANGE
  DimMismatch,  // lengths/dimensions that do not agree    -> RangeError ERR_RECKIT_DIM_MISMATCH
  CorruptFile,  // a file or buffer that fails validation  -> Error      ERR_RECKIT_CORRUPT_FILE
  Io,           // the OS refused a read/write             -> Error      ERR_RECKIT_IO
  Disposed,     // use of an object after dispose()        -> Error      ERR_RECKIT_DISPOSED
  NoDevice,     // a backend that is not available         -> Error      ERR_RECKIT_NO_DEVICE
  OutOfMemory,  // an allocation that failed               -> Error      ERR_RECKIT_OUT_OF_MEMORY
  Internal,     // a bug in reckit                         -> Error      ERR_RECKIT_INTERNAL
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] inline void fail(ErrorCode code, const std::string& message) { throw Error(code, message); }

// Checks that are part of the contract with the caller (not assertions): they throw, never abort.
inline void require(bool ok, ErrorCode code, const std::string& message) {
  if (!ok) fail(code, message);
}

}  // namespace reckit
