/**
 * Shared by the CUDA conformance suite: the loaded library (the suite runs only where a CUDA library is
 * available: the emulated build under `npm run test:emulated`, a GPU build under `npm run test:cuda`),
 * the internal kernel entry points, and comparisons with stated tolerances.
 */
import * as assert from 'uvu/assert';
import { info } from '../../lib/index';
import { native } from '../../lib/native';

/** Throws at import when no CUDA library is usable: a conformance run without one must fail, not pass empty. */
export function requireCudaBackend(): { backend: string; device: string } {
  const cuda = info().cuda;
  if (!cuda.available) {
    throw new Error(`the conformance suite needs a CUDA library (RECKIT_CUDA_LIBRARY): ${cuda.reason}`);
  }
  return { backend: cuda.backend ?? '?', device: cuda.device ?? '?' };
}

export const cuda = {
  topk(matrix: Float32Array, rows: number, dim: number, rowIds: BigUint64Array, queries: Float32Array, n: number,
    k: number, sliceRows = 0): { ids: BigInt64Array; scores: Float32Array } {
    return native().cudaTopk(matrix, rows, dim, rowIds, queries, n, k, sliceRows);
  },
  embeddingBag(table: Float32Array, rows: number, dim: number, ids: Uint32Array, offsets: Uint32Array | null,
    weights: Float32Array | null, mode: 0 | 1 | 2): Float32Array {
    return native().cudaEmbeddingBag(table, rows, dim, ids, offsets, weights, mode);
  },
  embeddingBagBackward(rows: number, dim: number, ids: Uint32Array, offsets: Uint32Array | null,
    weights: Float32Array | null, mode: 0 | 1 | 2, gradOut: Float32Array): { rows: Uint32Array; grads: Float32Array } {
    return native().cudaEmbeddingBagBackward(rows, dim, ids, offsets, weights, mode, gradOut);
  },
  embeddingStep(table: Float32Array, rows: number, dim: number, stateA: Float32Array | null, stateB: Float32Array | null,
    steps: Uint32Array | null, optimizer: number,
    h: { lr: number; weightDecay: number; eps: number; beta1: number; beta2: number }, ids: Uint32Array,
    offsets: Uint32Array | null, weights: Float32Array | null, mode: 0 | 1, gradOut: Float32Array): number {
    return native().cudaEmbeddingStep(table, rows, dim, stateA, stateB, steps, optimizer, h.lr, h.weightDecay, h.eps,
      h.beta1, h.beta2, ids, offsets, weights, mode, gradOut);
  },
  loss(kind: 0 | 1, output: Float32Array, target: Float32Array): { loss: number; grad: Float32Array } {
    return native().cudaLoss(kind, output, target);
  },
  adam(params: Float32Array, grads: Float32Array, m: Float32Array, v: Float32Array, lr: number, beta1: number,
    beta2: number, eps: number, weightDecay: number, step: number): void {
    native().cudaAdam(params, grads, m, v, lr, beta1, beta2, eps, weightDecay, step);
  },
  gemm(transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number, a: Float32Array, lda: number,
    b: Float32Array, ldb: number, beta: number, c: Float32Array, ldc: number, bias: Float32Array | null,
    activation: number, slope: number): Float32Array {
    return native().cudaGemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, activation, slope);
  },
};

/** Element-wise |a - e| <= abs + rel·|e|, naming the first offending index. */
export function assertAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rel: number, abs: number,
  what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (a === e) continue;  // includes equal infinities
    if (!(Math.abs(a - e) <= abs + rel * Math.abs(e))) {
      assert.unreachable(`${what}[${i}]: ${a} vs expected ${e} (rel ${rel}, abs ${abs})`);
    }
  }
}
