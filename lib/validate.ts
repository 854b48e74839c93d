/**
 * Argument checks for the public API. They run before anything reaches the native core (which checks
 * again), so mistakes surface as JS errors that name the argument.
 */
import { invalidArg, outOfRange } from './errors';

export function requireFloat32Array(value: unknown, name: string): Float32Array {
  if (!(value instanceof Float32Array)) throw invalidArg(`${name} must be a Float32Array`);
  return value;
}

export function requireObject(value: unknown, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArg(`${name} must be an object`);
  return value as Record<string, unknown>;
}

export function requireNumber(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArg(`${name} must be a number`);
  if (!Number.isFinite(value)) throw outOfRange(`${name} must be finite`);
  return value;
}

/** A whole number in [min, max]. */
export function requireInteger(value: unknown, name: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number {
  const n = requireNumber(value, name);
  if (!Number.isInteger(n)) throw outOfRange(`${name} must be an integer (got ${n})`);
  if (n < min || n > max) throw outOfRange(`${name} must be between ${min} and ${max} (got ${n})`);
  return n;
}

/** A seed or stream: a non-negative safe integer or a bigint below 2^64. */
export function requireSeed(value: unknown, name: string): number | bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) throw outOfRange(`${name} must be in [0, 2^64)`);
    return value;
  }
  return requireInteger(value, name, 0);
}

export function requireOneOf<T extends string>(value: unknown, name: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw invalidArg(`${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return value as T;
}
