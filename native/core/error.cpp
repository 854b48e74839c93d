// Stable names of reckit's error codes, shared by the binding and the CLI.
#include "core/error.h"

namespace reckit {

const char* error_code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::InvalidArg: return "ERR_RECKIT_INVALID_ARG";
    case ErrorCode::OutOfRange: return "ERR_RECKIT_OUT_OF_RANGE";
    case ErrorCode::DimMismatch: return "ERR_RECKIT_DIM_MISMATCH";
    case ErrorCode::CorruptFile: return "ERR_RECKIT_CORRUPT_FILE";
    case ErrorCode::Io: return "ERR_RECKIT_IO";
    case ErrorCode::Disposed: return "ERR_RECKIT_DISPOSED";
    case ErrorCode::NoDevice: return "ERR_RECKIT_NO_DEVICE";
    case ErrorCode::OutOfMemory: return "ERR_RECKIT_OUT_OF_MEMORY";
    case ErrorCode::Internal: return "ERR_RECKIT_INTERNAL";
  }
  return "ERR_RECKIT_INTERNAL";
}

}  // namespace reckit
