// ops.gemm's `device` option. Without a CUDA library (plain `npm test`): the default and `auto` run on the CPU,
// `cuda` is ERR_RECKIT_NO_DEVICE with the reason, bad values and CPU-only options with `cuda` are
// ERR_RECKIT_INVALID_ARG. With one (`npm run test:emulated`): `cuda` and `auto` run the library's kernel, sync and
// async, and agree with the float64 reference within its float32 bound and with the CPU within the conformance
// tolerance (1e-4 relative + 1e-4 absolute); the gate epilogue on `auto` falls back to the CPU.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { info, ops } from '../lib/index';
import type { GemmOptions } from '../lib/ops-gemm';
import { firstMismatch, reference, seeded } from './gemm-reference';
import { codeOf } from './helpers';

const cuda = info().cuda;

function close(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    assert.ok(a === e || Math.abs(a - e) <= 1e-4 + 1e-4 * Math.abs(e), `${what}[${i}]: ${a} vs ${e}`);
  }
}

const A = seeded(37 * 29, 1), B = seeded(29 * 70, 2), BIAS = seeded(70, 3);
const BASE: GemmOptions = { m: 37, n: 70, k: 29, bias: BIAS, activation: 'tanh' };

test('gemm device: a bad value is ERR_RECKIT_INVALID_ARG, on every machine', () => {
  for (const device of ['gpu', 1, null, 'CUDA']) {
    assert.is(codeOf(() => ops.gemm(A, B, { ...BASE, device: device as never })), 'ERR_RECKIT_INVALID_ARG', String(device));
  }
});

test("gemm device: 'cuda' with a CPU-only option (gate, isa) is ERR_RECKIT_INVALID_ARG, on every machine", () => {
  const gate = seeded(37 * 70, 4);
  assert.is(codeOf(() => ops.gemm(A, B, { ...BASE, gate, gateActivation: 'tanh', device: 'cuda' })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => ops.gemm(A, B, { ...BASE, isa: 'portable', device: 'cuda' })), 'ERR_RECKIT_INVALID_ARG');
});

test("gemm device: the default, 'cpu' and 'auto' give the CPU's result where there is no device", () => {
  const cpu = ops.gemm(A, B, BASE);
  assert.equal(ops.gemm(A, B, { ...BASE, device: 'cpu' }), cpu);
  const ref = reference(A, B, { ...BASE, bias: BIAS, activation: 'tanh' });
  assert.is(firstMismatch(cpu, ref, 37, 70, 70), null);
  if (!cuda.available) assert.equal(ops.gemm(A, B, { ...BASE, device: 'auto' }), cpu);
});

if (!cuda.available) {
  test("gemm device: 'cuda' without a device is ERR_RECKIT_NO_DEVICE with the reason, sync and async", async () => {
    let error: { code?: string; message?: string } = {};
    try {
      ops.gemm(A, B, { ...BASE, device: 'cuda' });
    } catch (e) {
      error = e as typeof error;
    }
    assert.is(error.code, 'ERR_RECKIT_NO_DEVICE');
    assert.ok(error.message?.includes(cuda.reason ?? '?'), error.message);
    const rejected = await ops.gemmAsync(A, B, { ...BASE, device: 'cuda' }).then(() => 'resolved', (e) => e.code);
    assert.is(rejected, 'ERR_RECKIT_NO_DEVICE');
  });
} else {
  // Transposes, tails of the 64-wide tiles, strides with gaps, alpha/beta on a caller's c, leaky_relu's slope.
  const CASES: (GemmOptions & { pad: number })[] = [
    { m: 37, n: 70, k: 29, bias: BIAS, activation: 'tanh', pad: 0 },
    { m: 65, n: 3, k: 17, transA: true, alpha: 0.5, beta: -0.75, activation: 'leaky_relu', slope: 0.2, pad: 3 },
    { m: 2, n: 66, k: 40, transB: true, beta: 1, activation: 'relu', pad: 1 },
    { m: 1, n: 1, k: 0, transA: true, transB: true, bias: new Float32Array([0.25]), activation: 'sigmoid', pad: 1 },
  ];
  CASES.forEach(({ pad, ...o }, index) => {
    test(`gemm device: 'cuda' agrees with the float64 reference and the CPU (case ${index}), sync and async`, async () => {
      const [aRows, aCols] = o.transA ? [o.k, o.m] : [o.m, o.k];
      const [bRows, bCols] = o.transB ? [o.n, o.k] : [o.k, o.n];
      const lda = aCols + pad, ldb = bCols + pad, ldc = o.n + pad;
      const a = seeded(Math.max(1, aRows * lda), 10 + index), b = seeded(Math.max(1, bRows * ldb), 20 + index);
      const bias = o.bias && o.bias.length === o.n ? o.bias : undefined;
      const options: GemmOptions = { ...o, bias, lda, ldb };
      if (o.beta === undefined || o.beta === 0) {
        // No c: a new output array on both devices.
        const cpu = ops.gemm(a, b, { ...options, device: 'cpu' });
        const dev = ops.gemm(a, b, { ...options, device: 'cuda' });
        assert.is(firstMismatch(dev, reference(a, b, { ...options, ldc: o.n }), o.m, o.n, o.n), null);
        close(dev, cpu, 'C');
        close(await ops.gemmAsync(a, b, { ...options, device: 'cuda' }), cpu, 'C (async)');
        close(ops.gemm(a, b, { ...options, device: 'auto' }), cpu, 'C (auto)');
      }
      // A caller's strided c: updated in place, its gaps kept.
      const c0 = seeded(o.m * ldc, 30 + index);
      const cpu = ops.gemm(a, b, { ...options, ldc, c: c0.slice(), device: 'cpu' });
      const c = c0.slice();
      const dev = ops.gemm(a, b, { ...options, ldc, c, device: 'cuda' });
      assert.ok(dev === c, 'returns the caller c');
      assert.is(firstMismatch(dev, reference(a, b, { ...options, ldc, c: c0 }), o.m, o.n, ldc), null);
      close(dev, cpu, 'C (strided, gaps included)');
      const cAsync = c0.slice();
      await ops.gemmAsync(a, b, { ...options, ldc, c: cAsync, device: 'cuda' });
      close(cAsync, cpu, 'C (strided, async)');
    });
  });

  test("gemm device: 'auto' with the gate epilogue runs on the CPU (the device kernel has no gate)", () => {
    const gate = seeded(37 * 70, 4);
    const options: GemmOptions = { ...BASE, gate, gateActivation: 'tanh' };
    assert.equal(ops.gemm(A, B, { ...options, device: 'auto' }), ops.gemm(A, B, { ...options, device: 'cpu' }));
  });

  test("gemm device: bad input on 'cuda' gives the CPU path's errors", () => {
    assert.is(codeOf(() => ops.gemm(A.subarray(1), B, { ...BASE, device: 'cuda' })), 'ERR_RECKIT_DIM_MISMATCH');
    const nan = A.slice();
    nan[5] = NaN;
    assert.is(codeOf(() => ops.gemm(nan, B, { ...BASE, device: 'cuda' })), 'ERR_RECKIT_OUT_OF_RANGE');
    assert.is(codeOf(() => ops.gemm(A, B, { ...BASE, lda: 3, device: 'cuda' })), 'ERR_RECKIT_OUT_OF_RANGE');
  });
}

test.run();
