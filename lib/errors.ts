/**
 * reckit's error codes and the helpers the TypeScript layer uses to raise them. The native core raises
 * the same codes, so callers can branch on `err.code` whichever layer caught the problem.
 */

/** Every `code` a reckit error can carry. */
export type ReckitErrorCode =
  | 'ERR_RECKIT_INVALID_ARG'
  | 'ERR_RECKIT_OUT_OF_RANGE'
  | 'ERR_RECKIT_DIM_MISMATCH'
  | 'ERR_RECKIT_CORRUPT_FILE'
  | 'ERR_RECKIT_IO'
  | 'ERR_RECKIT_DISPOSED'
  | 'ERR_RECKIT_NO_DEVICE'
  | 'ERR_RECKIT_OUT_OF_MEMORY'
  | 'ERR_RECKIT_LOAD_FAILED'
  | 'ERR_RECKIT_INTERNAL';

/** An error raised by reckit: a `TypeError`, `RangeError` or `Error` with a stable `code`. */
export interface ReckitError extends Error {
  code: ReckitErrorCode;
}

function withCode<E extends Error>(error: E, code: ReckitErrorCode): E & ReckitError {
  return Object.assign(error, { code });
}

/** A wrong type or shape of an argument (`TypeError`, `ERR_RECKIT_INVALID_ARG`). */
export function invalidArg(message: string): TypeError & ReckitError {
  return withCode(new TypeError(message), 'ERR_RECKIT_INVALID_ARG');
}

/** A value outside its allowed range (`RangeError`, `ERR_RECKIT_OUT_OF_RANGE`). */
export function outOfRange(message: string): RangeError & ReckitError {
  return withCode(new RangeError(message), 'ERR_RECKIT_OUT_OF_RANGE');
}

/** Lengths or dimensions that do not agree (`RangeError`, `ERR_RECKIT_DIM_MISMATCH`). */
export function dimMismatch(message: string): RangeError & ReckitError {
  return withCode(new RangeError(message), 'ERR_RECKIT_DIM_MISMATCH');
}

/** Any other failure with its code (`Error`). */
export function reckitError(code: ReckitErrorCode, message: string): Error & ReckitError {
  return withCode(new Error(message), code);
}

/** True when `error` is an error raised by reckit (optionally with the given code). */
export function isReckitError(error: unknown, code?: ReckitErrorCode): error is ReckitError {
  if (!(error instanceof Error)) return false;
  const actual = (error as Partial<ReckitError>).code;
  return typeof actual === 'string' && actual.startsWith('ERR_RECKIT_') && (code === undefined || actual === code);
}
