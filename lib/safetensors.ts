/**
 * Reading and writing safetensors, the format every reckit object saves in (JSON header + little-endian
 * tensors, reckit's checksum in `__metadata__`). Useful to inspect a saved model or exchange tensors with
 * Python's `safetensors`. Reads validate every offset, dtype and shape, and the checksum when present.
 */
import { invalidArg } from './errors';
import { native } from './native';

/** safetensors dtype names, and the typed array each is read into (F16/BF16 as raw Uint16 bits). */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U64' | 'U32' | 'U16' | 'U8' | 'BOOL';

export type TensorData =
  | Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array
  | BigUint64Array | Uint32Array | Uint8Array;

export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorData;
}

export interface SafetensorsContent {
  metadata: Record<string, string>;
  tensors: Record<string, SafetensorsTensor>;
}

/** Reads and validates a safetensors file (path) or image (Uint8Array/Buffer). */
export function readSafetensors(source: string | Uint8Array): SafetensorsContent {
  if (typeof source !== 'string' && !(source instanceof Uint8Array)) {
    throw invalidArg('source must be a path or a Uint8Array');
  }
  return native().readSafetensors(source) as SafetensorsContent;
}

/**
 * Writes tensors (and string metadata) atomically to `path` (temp file, fsync, rename), adding reckit's
 * checksum. Without a path, returns the file image as a Buffer.
 */
export function writeSafetensors(path: string, tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): void;
export function writeSafetensors(path: null, tensors: Record<string, SafetensorsTensor>, metadata?: Record<string, string>): Buffer;
export function writeSafetensors(
  path: string | null,
  tensors: Record<string, SafetensorsTensor>,
  metadata: Record<string, string> = {},
): Buffer | void {
  if (path !== null && typeof path !== 'string') throw invalidArg('path must be a string or null');
  if (tensors === null || typeof tensors !== 'object') throw invalidArg('tensors must be an object');
  if (metadata === null || typeof metadata !== 'object') throw invalidArg('metadata must be an object');
  return native().writeSafetensors(path, tensors, metadata) as Buffer | undefined;
}

/** XXH64 of a typed array's bytes, as reckit stores it in files (exposed for tests and tools). */
export function xxh64(data: ArrayBufferView, seed: number | bigint = 0): bigint {
  return native().xxh64(data, seed) as bigint;
}
