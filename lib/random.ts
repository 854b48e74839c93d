/**
 * Seeded random numbers from Philox4x32-10 keyed by (seed, stream). Value i of a (seed, stream) is the
 * same whatever the thread count and on the CUDA backend, so a seed reproduces a run anywhere.
 * Word i of a stream is word i % 4 of the Philox block with counter (i / 4, stream) and key seed.
 */
import { dimMismatch } from './errors';
import { native } from './native';
import { requireInteger, requireNumber, requireObject, requireOneOf, requireSeed } from './validate';

/** Where a fill runs: `auto` uses CUDA when available (uniform fills only so far), else the CPU. */
export type Device = 'auto' | 'cpu' | 'cuda';

export interface RandomOptions {
  /** The key: a non-negative safe integer or a bigint below 2^64. Default 0. */
  seed?: number | bigint;
  /** An independent sequence under the same seed. Default 0. */
  stream?: number | bigint;
  device?: Device;
}

export interface UniformOptions extends RandomOptions {
  /** Inclusive lower bound (default 0). */
  low?: number;
  /** Exclusive upper bound (default 1). */
  high?: number;
}

export interface NormalOptions extends RandomOptions {
  mean?: number;
  /** Standard deviation (default 1). */
  std?: number;
}

const MAX_VALUES = 2 ** 32;
const DEVICES = ['auto', 'cpu', 'cuda'] as const;

type Args = [string, number, number | bigint, number | bigint, number, number, Device];

function args(kind: string, n: unknown, options: object | undefined, p1: string, d1: number, p2: string, d2: number): Args {
  const count = requireInteger(n, 'n', 0, MAX_VALUES);
  const o = requireObject(options, 'options');
  const seed = o.seed === undefined ? 0 : requireSeed(o.seed, 'options.seed');
  const stream = o.stream === undefined ? 0 : requireSeed(o.stream, 'options.stream');
  const a = o[p1] === undefined ? d1 : requireNumber(o[p1], `options.${p1}`);
  const b = o[p2] === undefined ? d2 : requireNumber(o[p2], `options.${p2}`);
  const device = o.device === undefined ? 'cpu' : requireOneOf(o.device, 'options.device', DEVICES);
  return [kind, count, seed, stream, a, b, device];
}

/** `n` uniform floats in [low, high). */
export function uniform(n: number, options?: UniformOptions): Float32Array {
  return native().randomFill(...args('uniform', n, options, 'low', 0, 'high', 1)) as Float32Array;
}

/** `n` normal floats (Box-Muller over Philox words). */
export function normal(n: number, options?: NormalOptions): Float32Array {
  return native().randomFill(...args('normal', n, options, 'mean', 0, 'std', 1)) as Float32Array;
}

/** `n` raw 32-bit Philox words. */
export function bits(n: number, options?: RandomOptions): Uint32Array {
  return native().randomFill(...args('bits', n, options, 'low', 0, 'high', 1)) as Uint32Array;
}

/** Like {@link uniform}, computed off the event loop. */
export function uniformAsync(n: number, options?: UniformOptions): Promise<Float32Array> {
  return callAsync(() => args('uniform', n, options, 'low', 0, 'high', 1));
}

/** Like {@link normal}, computed off the event loop. */
export function normalAsync(n: number, options?: NormalOptions): Promise<Float32Array> {
  return callAsync(() => args('normal', n, options, 'mean', 0, 'std', 1));
}

function callAsync(build: () => Args): Promise<Float32Array> {
  try {
    return native().randomFillAsync(...build()) as Promise<Float32Array>;
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The raw Philox4x32-10 bijection of a 4-word counter under a 2-word key (for known-answer checks). */
export function philox4x32(counter: Uint32Array | number[], key: Uint32Array | number[]): Uint32Array {
  const c = Uint32Array.from(counter);
  const k = Uint32Array.from(key);
  if (c.length !== 4 || k.length !== 2) throw dimMismatch('philox4x32 takes a 4-word counter and a 2-word key');
  return native().philoxBlock(c, k) as Uint32Array;
}
