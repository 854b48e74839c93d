/**
 * Low-level vector ops on float32 data, run by the ISA-dispatched kernels. Useful on their own and as
 * the reference surface that tests and benchmarks use to check every ISA path.
 */
import { dimMismatch } from './errors';
import type { Isa } from './info';
import { native } from './native';
import { requireFloat32Array, requireObject, requireOneOf } from './validate';

/** Options of the vector ops. */
export interface KernelOptions {
  /** Run on this ISA's kernels instead of the active ones (must be supported; for tests and benchmarks). */
  isa?: Isa;
}

const ISAS = ['avx512', 'avx2', 'neon', 'portable'] as const;

function isaOf(options: KernelOptions | undefined): Isa | undefined {
  const o = requireObject(options, 'options');
  return o.isa === undefined ? undefined : requireOneOf(o.isa, 'options.isa', ISAS);
}

function pair(a: unknown, b: unknown): [Float32Array, Float32Array] {
  const x = requireFloat32Array(a, 'a');
  const y = requireFloat32Array(b, 'b');
  if (x.length !== y.length) throw dimMismatch(`a and b must have the same length (got ${x.length} and ${y.length})`);
  return [x, y];
}

/** The inner product of two equal-length vectors. Non-finite inputs are rejected. */
export function dot(a: Float32Array, b: Float32Array, options?: KernelOptions): number {
  const [x, y] = pair(a, b);
  return native().dot(x, y, isaOf(options)) as number;
}

/** The squared Euclidean distance between two equal-length vectors. */
export function l2Squared(a: Float32Array, b: Float32Array, options?: KernelOptions): number {
  const [x, y] = pair(a, b);
  return native().l2sq(x, y, isaOf(options)) as number;
}

/** The Euclidean norm of a vector. */
export function norm(a: Float32Array, options?: KernelOptions): number {
  return Math.sqrt(native().sumsq(requireFloat32Array(a, 'a'), isaOf(options)) as number);
}

/** The cosine similarity of two equal-length vectors (0 when either is the zero vector). */
export function cosine(a: Float32Array, b: Float32Array, options?: KernelOptions): number {
  const [x, y] = pair(a, b);
  const isa = isaOf(options);
  const denominator = Math.sqrt((native().sumsq(x, isa) as number) * (native().sumsq(y, isa) as number));
  return denominator === 0 ? 0 : (native().dot(x, y, isa) as number) / denominator;
}

export { gemm, gemmAsync } from './ops-gemm';
export type { GemmOptions, Activation } from './ops-gemm';
