// The CUDA GEMM with its fused epilogue against the CPU's ops.gemm: every transpose combination, tails of the
// 64-wide tiles and 16-deep slices, strided A/B/C (gaps kept), alpha/beta, bias, every activation. Floats
// within 1e-4 relative + 1e-4 absolute (sums of up to 300 products of values in [-1, 1), in another order).
import { test } from 'uvu';
import { ops } from '../../lib/index';
import type { Activation } from '../../lib/ops-gemm';
import { seededFloats } from '../helpers';
import { assertAllClose, cuda, requireCudaBackend } from './cuda-backend';

requireCudaBackend();

const ACTIVATIONS: Activation[] = ['linear', 'relu', 'leaky_relu', 'tanh', 'sigmoid'];

interface Case {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  bias: boolean;
  activation: Activation;
  pad: number;  // extra elements per stored row of A, B and C
}

const CASES: Case[] = [];
const SHAPES: [number, number, number][] = [[1, 1, 1], [65, 33, 17], [64, 64, 16], [7, 130, 300]];
SHAPES.forEach(([m, n, k], s) => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const i = CASES.length;
      CASES.push({ m, n, k, transA, transB, alpha: i % 3 === 0 ? 1 : 0.5, beta: i % 2 === 0 ? 0 : -0.75, bias: i % 2 === 1,
        activation: ACTIVATIONS[i % ACTIVATIONS.length], pad: s % 2 === 1 ? 3 : 0 });
    }
  }
});

for (const c of CASES) {
  const name = `gemm m=${c.m} n=${c.n} k=${c.k}${c.transA ? ' Aᵀ' : ''}${c.transB ? ' Bᵀ' : ''} alpha=${c.alpha} beta=${c.beta}` +
    `${c.bias ? ' bias' : ''} ${c.activation}${c.pad ? ` strides+${c.pad}` : ''}`;
  test(name, () => {
    const [aRows, aCols] = c.transA ? [c.k, c.m] : [c.m, c.k];
    const [bRows, bCols] = c.transB ? [c.n, c.k] : [c.k, c.n];
    const lda = aCols + c.pad, ldb = bCols + c.pad, ldc = c.n + c.pad;
    const a = seededFloats(aRows * lda, c.m * 7 + c.k);
    const b = seededFloats(bRows * ldb, c.n * 11 + c.k);
    const c0 = seededFloats(c.m * ldc, c.m + c.n);
    const bias = c.bias ? seededFloats(c.n, 5) : undefined;
    const options = { m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta,
      activation: c.activation, lda, ldb, ldc, ...(c.activation === 'leaky_relu' ? { slope: 0.1 } : {}),
      ...(bias ? { bias } : {}) };
    const expected = ops.gemm(a, b, { ...options, c: c0.slice() });
    const actual = cuda.gemm(c.transA, c.transB, c.m, c.n, c.k, c.alpha, a, lda, b, ldb, c.beta, c0.slice(), ldc,
      bias ?? null, ACTIVATIONS.indexOf(c.activation), 0.1);
    assertAllClose(actual, expected, 1e-4, 1e-4, 'C (gaps between rows included)');
  });
}

test.run();
