// ops.gemm against a float64 reference: odd shapes with tails in every dimension, all four transposes,
// alpha/beta, every epilogue, strides, every ISA path (in process via `isa`, and in child processes via
// RECKIT_ISA), thread-count determinism, the async form, and bad input with its error codes.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { info, ops, setThreads } from '../lib/index';
import type { GemmOptions } from '../lib/index';
import { type Act, firstMismatch, reference, seeded } from './gemm-reference';

function throwsCode(fn: () => unknown, code: string, pattern?: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.is((error as { code?: string }).code, code, (error as Error).message);
    if (pattern) assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

const isas = info().supportedIsas;
const transposes: [boolean, boolean][] = [[false, false], [true, false], [false, true], [true, true]];

function operands(m: number, n: number, k: number, seed: number, scale = 1) {
  return { a: seeded(m * k, seed, scale), b: seeded(k * n, seed + 1, scale) };
}

function check(a: Float32Array, b: Float32Array, o: GemmOptions, label: string): Float32Array {
  const got = ops.gemm(a, b, { ...o, c: o.c ? o.c.slice() : undefined });
  const ldc = o.ldc ?? o.n;
  const bad = firstMismatch(got, reference(a, b, o), o.m, o.n, ldc);
  assert.is(bad, null, `${label}: ${bad}`);
  return got;
}

const shapes: [number, number, number][] = [
  [1, 1, 1], [2, 3, 5], [7, 13, 11], [17, 31, 29], [14, 32, 16], [15, 33, 257], [29, 65, 3], [100, 1, 50],
  [1, 100, 50], [45, 97, 300], [181, 37, 19],
];

test('gemm matches the float64 reference on odd shapes, all transposes, every ISA', () => {
  let seed = 1;
  for (const isa of isas) {
    for (const [m, n, k] of shapes) {
      for (const [transA, transB] of transposes) {
        const { a, b } = operands(m, n, k, seed++);
        check(a, b, { m, n, k, transA, transB, isa }, `${isa} ${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`);
      }
    }
  }
});

test('gemm applies alpha and beta to an existing C (beta = 0 ignores NaN in C)', () => {
  for (const isa of isas) {
    const [m, n, k] = [23, 41, 270];
    const { a, b } = operands(m, n, k, 50);
    const c = seeded(m * n, 52, 3);
    check(a, b, { m, n, k, alpha: -0.75, beta: 1.5, c, isa }, `${isa} alpha/beta`);
    check(a, b, { m, n, k, alpha: 2, beta: 1, c, transA: true, isa }, `${isa} beta=1`);
    const poisoned = new Float32Array(m * n).fill(NaN);
    const out = ops.gemm(a, b, { m, n, k, beta: 0, c: poisoned, isa });
    assert.is(out, poisoned, 'c is updated in place and returned');
    assert.is(firstMismatch(out, reference(a, b, { m, n, k }), m, n, n), null);
  }
});

test('gemm fuses bias and every activation into the store', () => {
  const acts: [Act, number][] = [['linear', 0.01], ['relu', 0.01], ['leaky_relu', 0.2], ['tanh', 0.01], ['sigmoid', 0.01]];
  let seed = 100;
  for (const isa of isas) {
    for (const [activation, slope] of acts) {
      // Scale 3 puts pre-activations well into both tails (tanh/sigmoid saturation, relu's negative side).
      for (const [m, n, k] of [[19, 35, 9], [30, 70, 260], [3, 5, 1]] as [number, number, number][]) {
        const { a, b } = operands(m, n, k, seed++, 3);
        const bias = seeded(n, seed++, 2);
        const o: GemmOptions = { m, n, k, bias, activation, isa };
        if (activation === 'leaky_relu') o.slope = slope;
        check(a, b, o, `${isa} ${activation} ${m}x${n}x${k}`);
        check(a, b, { ...o, transA: true, transB: true, beta: 0.5, c: seeded(m * n, seed++) }, `${isa} ${activation} TT beta`);
      }
    }
  }
});

test('gemm gates C with the derivative of every activation (the backward pass), with tails, k blocks and strides', () => {
  const acts: [Act, number][] = [['linear', 0.01], ['relu', 0.01], ['leaky_relu', 0.2], ['tanh', 0.01], ['sigmoid', 0.01]];
  let seed = 700;
  for (const isa of isas) {
    for (const [gateActivation, gateSlope] of acts) {
      for (const [m, n, k] of [[19, 35, 9], [30, 70, 300], [3, 5, 1], [1, 40, 17], [45, 1, 20]] as [number, number, number][]) {
        const { a, b } = operands(m, n, k, seed++);
        // Gate values are activation outputs: in (-1, 1) for tanh, (0, 1) for sigmoid; exact zeros for relu.
        const raw = seeded(m * n, seed++);
        const gate = raw.map((v, i) => (gateActivation === 'sigmoid' ? (v + 1) / 2 : gateActivation === 'relu' && i % 3 === 0 ? 0 : v));
        const o: GemmOptions = { m, n, k, gate, gateActivation, isa };
        if (gateActivation === 'leaky_relu') o.gateSlope = gateSlope;
        check(a, b, o, `${isa} gate ${gateActivation} ${m}x${n}x${k}`);
        check(a, b, { ...o, transA: true, bias: seeded(n, seed++), activation: 'tanh', beta: 0.5, c: seeded(m * n, seed++) },
          `${isa} gate ${gateActivation} with bias, tanh and beta ${m}x${n}x${k}`);
        // A gate with its own stride, a C with another.
        const ldGate = n + 3, ldc = n + 2;
        const strided = new Float32Array(m * ldGate).fill(NaN);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) strided[i * ldGate + j] = gate[i * n + j];
        const c = new Float32Array(m * ldc);
        check(a, b, { ...o, transB: true, gate: strided.subarray(0, (m - 1) * ldGate + n), ldGate, ldc, c }, `${isa} gate strided ${m}x${n}x${k}`);
      }
    }
  }
  // k = 0: C = beta·C, then the gate.
  const gate = new Float32Array([0.5, -0.5, 0, 0.25]);
  const out = ops.gemm(new Float32Array(0), new Float32Array(0), { m: 2, n: 2, k: 0, beta: 2, c: new Float32Array([1, 2, 3, 4]), gate, gateActivation: 'tanh' });
  assert.equal(Array.from(out), [2 * 0.75, 4 * 0.75, 6, 8 * (1 - 0.0625)]);
});

test('gemm tanh and sigmoid stay accurate near 0 and saturate cleanly', () => {
  // A 1×n times n×1 identity-like product: C = bias + x, so the epilogue sees exactly chosen values.
  const xs = [-100, -30, -9, -1, -0.3, -0.2, -0.19, -1e-3, -1e-7, 0, 1e-7, 1e-3, 0.19, 0.2, 0.3, 1, 9, 30, 100];
  const n = xs.length;
  for (const isa of isas) {
    for (const activation of ['tanh', 'sigmoid'] as Act[]) {
      const out = ops.gemm(new Float32Array([0]), new Float32Array(n), { m: 1, n, k: 1, bias: new Float32Array(xs), activation, isa });
      xs.forEach((x, j) => {
        const want = activation === 'tanh' ? Math.tanh(Math.fround(x)) : 1 / (1 + Math.exp(-Math.fround(x)));
        const diff = Math.abs(out[j] - want);
        assert.ok(diff <= 4 * 2 ** -23 * Math.abs(want) + 1e-30, `${isa} ${activation}(${x}) = ${out[j]}, want ${want}`);
      });
    }
  }
});

test('gemm honours strides (lda/ldb/ldc) and subarray views; padding is never read or written', () => {
  // 21×37: packed panels; 5×9 and 3×1: operands read in place by the micro-kernel (one tile row/column).
  const strided: [number, number, number][] = [[21, 37, 45], [5, 9, 30], [3, 1, 7], [1, 40, 19]];
  for (const isa of isas) {
    for (const [transA, transB] of transposes) for (const [m, n, k] of strided) {
      const lda = (transA ? m : k) + 5, ldb = (transB ? k : n) + 3, ldc = n + 7;
      const aRows = transA ? k : m, bRows = transB ? n : k;
      // NaN in the padding: a kernel that reads it would poison the result.
      const aStore = new Float32Array(aRows * lda + 4).fill(NaN);
      const bStore = new Float32Array(bRows * ldb + 2).fill(NaN);
      const aVals = seeded(aRows * lda, 7), bVals = seeded(bRows * ldb, 8);
      for (let r = 0; r < aRows; r++) for (let q = 0; q < (transA ? m : k); q++) aStore[4 + r * lda + q] = aVals[r * lda + q];
      for (let r = 0; r < bRows; r++) for (let q = 0; q < (transB ? k : n); q++) bStore[2 + r * ldb + q] = bVals[r * ldb + q];
      const a = aStore.subarray(4), b = bStore.subarray(2);
      const cStore = new Float32Array(m * ldc + 1).fill(-7);
      const c = cStore.subarray(1);
      const o: GemmOptions = { m, n, k, transA, transB, lda, ldb, ldc, c, bias: seeded(n, 9), activation: 'relu', isa };
      const out = ops.gemm(a, b, o);
      assert.is(firstMismatch(out, reference(a, b, { ...o, c: undefined }), m, n, ldc), null, `${isa} ${m}x${n}x${k} ${transA}${transB}`);
      assert.is(cStore[0], -7, 'the element before the view is untouched');
      for (let i = 0; i < m; i++) for (let j = n; j < ldc && i * ldc + j < c.length; j++) assert.is(c[i * ldc + j], -7, `C padding [${i}][${j}]`);
    }
  }
});

test('gemm matrix-vector products (n = 1, computed as their transpose) match with bias and activation', () => {
  let seed = 300;
  for (const isa of isas) {
    for (const [transA, transB] of transposes) {
      for (const [m, k] of [[256, 256], [37, 300], [2, 1]] as [number, number][]) {
        const { a, b } = operands(m, 1, k, seed++);
        const o: GemmOptions = { m, n: 1, k, transA, transB, bias: new Float32Array([0.25]), activation: 'leaky_relu', slope: 0.3, isa };
        check(a, b, o, `${isa} ${m}x1x${k} ${transA}${transB}`);
        check(a, b, { ...o, alpha: 0.5, beta: -2, c: seeded(m, seed++) }, `${isa} ${m}x1x${k} beta`);
        check(a, b, { ...o, ldc: 3, c: seeded(3 * m, seed++) }, `${isa} ${m}x1x${k} ldc 3`);
      }
    }
  }
});

test('gemm with k = 0 is beta·C then the epilogue; m = 0 gives an empty result', () => {
  const c = new Float32Array([1, -2, 3, -4]);
  const out = ops.gemm(new Float32Array(0), new Float32Array(0), { m: 2, n: 2, k: 0, beta: 2, c, bias: new Float32Array([1, 1]), activation: 'relu' });
  assert.equal(Array.from(out), [3, 0, 7, 0]);
  assert.is(ops.gemm(new Float32Array(0), new Float32Array(6), { m: 0, n: 2, k: 3 }).length, 0);
});

test('gemm results are bit-identical for 1, 2 and 3 threads and the async form', async () => {
  const before = info().threads;
  try {
    for (const isa of isas) {
      for (const [transA, transB] of transposes) {
        const [m, n, k] = [301, 203, 290];
        const { a, b } = operands(m, n, k, 77);
        const o: GemmOptions = { m, n, k, transA, transB, bias: seeded(n, 78), activation: 'tanh', isa };
        setThreads(1);
        const one = ops.gemm(a, b, o);
        setThreads(2);
        const two = ops.gemm(a, b, o);
        setThreads(3); // a 3-way split of C (more threads than cores is allowed)
        const three = ops.gemm(a, b, o);
        assert.ok(Buffer.from(one.buffer).equals(Buffer.from(three.buffer)), `${isa}: 1 vs 3 threads`);
        const promised = await ops.gemmAsync(a, b, o);
        assert.is(firstMismatch(one, reference(a, b, o), m, n, n), null);
        assert.ok(Buffer.from(one.buffer).equals(Buffer.from(two.buffer)), `${isa}: 1 vs 2 threads`);
        assert.ok(Buffer.from(one.buffer).equals(Buffer.from(promised.buffer)), `${isa}: sync vs async`);
      }
    }
  } finally {
    setThreads(before);
  }
});

test('concurrent gemmAsync calls each get their own correct result', async () => {
  const jobs = [0, 1, 2, 3, 4, 5].map((i) => {
    const [m, n, k] = [40 + 13 * i, 90 - 7 * i, 60 + 31 * i];
    const { a, b } = operands(m, n, k, 500 + i);
    const o: GemmOptions = { m, n, k, transA: i % 2 === 1, transB: i % 3 === 1, bias: seeded(n, 600 + i), activation: 'sigmoid' };
    return { a, b, o, promise: ops.gemmAsync(a, b, o) };
  });
  for (const { a, b, o, promise } of jobs) {
    assert.is(firstMismatch(await promise, reference(a, b, o), o.m, o.n, o.n), null);
  }
});

test('gemm refuses to allocate an absurd output', () => {
  throwsCode(() => ops.gemm(new Float32Array(2 ** 16), new Float32Array(2 ** 16 + 1), { m: 2 ** 16, n: 2 ** 16 + 1, k: 1 }), 'ERR_RECKIT_OUT_OF_RANGE', /too large/);
});

test('gemmAsync writes into c and resolves with it', async () => {
  const [m, n, k] = [64, 48, 100];
  const { a, b } = operands(m, n, k, 90);
  const c = seeded(m * n, 91);
  const o: GemmOptions = { m, n, k, alpha: 0.5, beta: -1, c: c.slice(), transB: true };
  const got = await ops.gemmAsync(a, b, o);
  assert.is(got, o.c);
  assert.is(firstMismatch(got, reference(a, b, { ...o, c }), m, n, n), null);
});


test('several k blocks with beta, bias and an activation: beta once, the epilogue once, on every thread count', () => {
  // k = 700 and 530 span several KC blocks: beta must scale C only in the first block and the epilogue run
  // only after the last; m and n span several MC/NC blocks and tile tails, on one thread and split.
  const before = info().threads;
  try {
    for (const isa of isas) {
      for (const [m, n, k] of [[67, 45, 700], [300, 70, 530]] as [number, number, number][]) {
        for (const [transA, transB] of transposes) {
          const { a, b } = operands(m, n, k, m + n + k, 0.5);
          const o: GemmOptions = {
            m, n, k, transA, transB, alpha: 0.5, beta: -1.25, c: seeded(m * n, 5, 2), bias: seeded(n, 6),
            activation: 'leaky_relu', slope: 0.2, isa,
          };
          setThreads(1);
          const one = check(a, b, o, `${isa} ${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} 1 thread`);
          setThreads(2);
          const two = check(a, b, o, `${isa} ${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'} 2 threads`);
          assert.ok(Buffer.from(one.buffer).equals(Buffer.from(two.buffer)), `${isa} ${m}x${n}x${k}: 1 vs 2 threads`);
        }
      }
    }
  } finally {
    setThreads(before);
  }
});

test('skinny shapes (a row, a column, few tiles and a long k) are split across threads and stay exact', () => {
  // Shapes where one side has a single tile (or one element), so the split has only one direction to
  // go, or none: every thread count must still cover C exactly once and give the same bits.
  const skinny: [number, number, number][] = [
    [1, 3000, 400], [3000, 1, 400], [2, 3000, 300], [3000, 2, 300], [42, 32, 5000], [5, 7, 40000], [15, 33, 3000],
  ];
  const before = info().threads;
  try {
    for (const isa of isas) {
      for (const [m, n, k] of skinny) {
        for (const [transA, transB] of transposes) {
          const { a, b } = operands(m, n, k, 7 * m + n, 0.5);
          const o: GemmOptions = { m, n, k, transA, transB, bias: seeded(n, 9), activation: 'tanh', isa };
          const label = `${isa} ${m}x${n}x${k} ${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`;
          const results = [1, 2, 3].map((t) => {
            setThreads(t);
            return check(a, b, o, `${label} ${t} threads`);
          });
          for (const r of results.slice(1)) assert.ok(Buffer.from(results[0].buffer).equals(Buffer.from(r.buffer)), `${label}: bits differ across threads`);
        }
      }
    }
  } finally {
    setThreads(before);
  }
});

test('gemm rejects bad input with codes and leaves c unchanged', async () => {
  const a = seeded(6, 1), b = seeded(12, 2);
  const base: GemmOptions = { m: 2, n: 4, k: 3 };
  throwsCode(() => ops.gemm([1, 2] as unknown as Float32Array, b, base), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, new Float64Array(12) as unknown as Float32Array, base), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, b, undefined as unknown as GemmOptions), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, b, { ...base, m: -1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => ops.gemm(a, b, { ...base, k: 2.5 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => ops.gemm(a, b, { ...base, m: 3 }), 'ERR_RECKIT_DIM_MISMATCH', /a has 6 elements/);
  throwsCode(() => ops.gemm(a, b, { ...base, transB: true, n: 5 }), 'ERR_RECKIT_DIM_MISMATCH', /b has 12/);
  throwsCode(() => ops.gemm(a, b, { ...base, lda: 2 }), 'ERR_RECKIT_OUT_OF_RANGE', /lda must be at least 3/);
  throwsCode(() => ops.gemm(a, b, { ...base, alpha: NaN }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => ops.gemm(a, b, { ...base, transA: 1 as unknown as boolean }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, b, { ...base, activation: 'gelu' as unknown as Act }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, b, { ...base, isa: 'sse' as unknown as 'avx2' }), 'ERR_RECKIT_INVALID_ARG');
  if (!isas.includes('neon')) throwsCode(() => ops.gemm(a, b, { ...base, isa: 'neon' }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => ops.gemm(a, b, { ...base, beta: 1 }), 'ERR_RECKIT_INVALID_ARG', /beta needs options.c/);
  throwsCode(() => ops.gemm(a, b, { ...base, ldc: 5 }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, b, { ...base, slope: 0.1, activation: 'relu' }), 'ERR_RECKIT_INVALID_ARG');
  const gate = seeded(8, 3);
  throwsCode(() => ops.gemm(a, b, { ...base, gate: gate.subarray(1) }), 'ERR_RECKIT_DIM_MISMATCH', /options.gate has 7 elements/);
  throwsCode(() => ops.gemm(a, b, { ...base, gate, ldGate: 3 }), 'ERR_RECKIT_OUT_OF_RANGE', /ldGate must be at least 4/);
  throwsCode(() => ops.gemm(a, b, { ...base, gateActivation: 'tanh' }), 'ERR_RECKIT_INVALID_ARG', /need options.gate/);
  throwsCode(() => ops.gemm(a, b, { ...base, gate, gateActivation: 'gelu' as unknown as Act }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, b, { ...base, gate, gateActivation: 'relu', gateSlope: 0.1 }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => ops.gemm(a, b, { ...base, gate: new Float32Array(8).fill(Infinity) }), 'ERR_RECKIT_OUT_OF_RANGE', /options.gate\[0\]\[0\] is infinite/);
  const gateAndC = new Float32Array(8);
  throwsCode(() => ops.gemm(a, b, { ...base, gate: gateAndC, c: gateAndC }), 'ERR_RECKIT_INVALID_ARG', /share memory with options.gate/);
  const badA = a.slice();
  badA[4] = NaN;
  throwsCode(() => ops.gemm(badA, b, base), 'ERR_RECKIT_OUT_OF_RANGE', /a\[1\]\[1\] is NaN/);
  const badB = b.slice();
  badB[11] = -Infinity;
  throwsCode(() => ops.gemm(a, badB, base), 'ERR_RECKIT_OUT_OF_RANGE', /b\[2\]\[3\] is infinite/);

  // Failures after c was given leave it exactly as it was.
  const c = seeded(8, 3);
  const snapshot = c.slice();
  throwsCode(() => ops.gemm(a, b, { ...base, c, bias: new Float32Array(3) }), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => ops.gemm(a, b, { ...base, c, bias: new Float32Array([0, 1, Infinity, 0]) }), 'ERR_RECKIT_OUT_OF_RANGE', /bias\[2\]/);
  throwsCode(() => ops.gemm(badA, b, { ...base, c, beta: 1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  const badC = c.slice();
  badC[7] = NaN;
  throwsCode(() => ops.gemm(a, b, { ...base, c: badC, beta: 1 }), 'ERR_RECKIT_OUT_OF_RANGE', /options.c\[1\]\[3\] is NaN/);
  throwsCode(() => ops.gemm(a, b, { ...base, c: new Float32Array(7) }), 'ERR_RECKIT_DIM_MISMATCH');
  assert.equal(Array.from(c), Array.from(snapshot));

  // c may not alias an input (the result would depend on the order of the loops).
  const shared = seeded(40, 4);
  throwsCode(() => ops.gemm(shared.subarray(0, 6), b, { ...base, c: shared.subarray(4, 12) }), 'ERR_RECKIT_INVALID_ARG', /share memory/);

  // The async form rejects with the same codes.
  try {
    await ops.gemmAsync(badA, b, base);
    assert.unreachable('gemmAsync should reject');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'ERR_RECKIT_OUT_OF_RANGE');
  }
});

test('RECKIT_ISA selects each lower GEMM path in a fresh process', () => {
  const child = path.join(__dirname, 'fixtures', 'gemm-child.ts');
  for (const isa of isas) {
    const run = spawnSync(process.execPath, ['-r', 'tsx/cjs', child], {
      env: { ...process.env, RECKIT_ISA: isa },
      encoding: 'utf8',
      cwd: path.join(__dirname, '..'),
    });
    assert.is(run.status, 0, run.stderr);
    const report = JSON.parse(run.stdout.trim().split('\n').pop() as string) as { isa: string; mismatches: string[]; cases: number };
    assert.is(report.isa, isa);
    assert.ok(report.cases > 0);
    assert.equal(report.mismatches, [], `${isa}: ${report.mismatches.join('; ')}`);
  }
});

test.run();
