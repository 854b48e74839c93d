// EmbeddingTable backward (against the float64 reference and finite differences) and the fused sparse
// optimizer steps (against a float64 reference of the same updates), determinism across thread counts,
// and that a rejected batch leaves the table and its optimizer state unchanged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddingTable, info, setThreads, type SparseGradient, type StepOptions } from '../lib/index';
import { runNode } from './helpers';
import { maxError, randomFloats, randomIds, RefOptimizer, refBag, refBagBackward, type Mode } from './embedding-reference';

function throwsCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    assert.is((error as { code?: string }).code, code, (error as Error).message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

// Checks a sparse gradient against the reference's dense rows: same rows (ascending), close values.
function assertSparse(actual: SparseGradient, expected: Map<number, Float64Array>, dim: number, label: string): void {
  const rows = [...expected.keys()].sort((a, b) => a - b);
  assert.equal(Array.from(actual.rows), rows, `${label}: rows`);
  const flat = new Float64Array(rows.length * dim);
  rows.forEach((r, i) => flat.set(expected.get(r)!, i * dim));
  assert.ok(maxError(actual.grads, flat, 1e-5, 1e-4) <= 1, `${label}: grads`);
}

const DIM = 6;
const ROWS = 12;
const IDS = new Uint32Array([4, 4, 1, 9, 4, 0, 1, 11, 11, 3, 2, 7]);
const OFFSETS = new Uint32Array([0, 3, 3, 6, 9]); // an empty bag and duplicates inside bags

test('lookupBackward sums the gradient of duplicate ids into one row each', () => {
  const table = randomFloats(ROWS * DIM, 1);
  const t = EmbeddingTable.fromArray(ROWS, DIM, table);
  const gradOut = randomFloats(IDS.length * DIM, 2);
  const g = t.lookupBackward(IDS, gradOut);
  const singles = new Uint32Array(IDS.length).map((_, i) => i);
  assertSparse(g, refBagBackward(table, DIM, IDS, singles, gradOut, 'sum').dense, DIM, 'lookup');
  assert.is(g.weightGrads, undefined);
});

for (const mode of ['sum', 'mean', 'max'] as Mode[]) {
  for (const weighted of [false, true]) {
    test(`bagBackward (${mode}, weights ${weighted}) matches the reference`, () => {
      const table = randomFloats(ROWS * DIM, 3);
      const t = EmbeddingTable.fromArray(ROWS, DIM, table);
      const gradOut = randomFloats(OFFSETS.length * DIM, 4);
      const weights = weighted ? randomFloats(IDS.length, 5) : undefined;
      const g = t.bagBackward(IDS, OFFSETS, gradOut, { mode, weights });
      const ref = refBagBackward(table, DIM, IDS, OFFSETS, gradOut, mode, weights);
      assertSparse(g, ref.dense, DIM, mode);
      if (weighted) assert.ok(maxError(g.weightGrads!, ref.weightGrads, 1e-5, 1e-4) <= 1, 'weight grads');
    });

    test(`bagBackward (${mode}, weights ${weighted}) agrees with finite differences`, () => {
      // loss = Σ gradOut ⊙ lookupBag(...); central differences on table entries and weights.
      const table = randomFloats(ROWS * DIM, 6);
      const gradOut = randomFloats(OFFSETS.length * DIM, 7);
      const weights = weighted ? randomFloats(IDS.length, 8) : undefined;
      const loss = (values: Float32Array, w?: Float32Array) => {
        const out = EmbeddingTable.fromArray(ROWS, DIM, values).lookupBag(IDS, OFFSETS, { mode, weights: w });
        let s = 0;
        for (let i = 0; i < out.length; i++) s += out[i] * gradOut[i];
        return s;
      };
      const g = EmbeddingTable.fromArray(ROWS, DIM, table).bagBackward(IDS, OFFSETS, gradOut, { mode, weights });
      const h = 1e-3; // small enough that no max switches its arg-max, large enough for float32
      for (const [slot, row] of Array.from(g.rows).entries()) {
        for (let d = 0; d < DIM; d++) {
          const plus = table.slice();
          const minus = table.slice();
          plus[row * DIM + d] += h;
          minus[row * DIM + d] -= h;
          const fd = (loss(plus, weights) - loss(minus, weights)) / (2 * h);
          assert.ok(Math.abs(fd - g.grads[slot * DIM + d]) < 2e-3, `row ${row} d ${d}: fd ${fd} vs ${g.grads[slot * DIM + d]}`);
        }
      }
      if (weights) {
        for (let i = 0; i < IDS.length; i++) {
          const plus = weights.slice();
          const minus = weights.slice();
          plus[i] += h;
          minus[i] -= h;
          const fd = (loss(table, plus) - loss(table, minus)) / (2 * h);
          assert.ok(Math.abs(fd - g.weightGrads![i]) < 2e-3, `weight ${i}: fd ${fd} vs ${g.weightGrads![i]}`);
        }
      }
      // Rows that no bag touches are absent.
      for (const r of [5, 6, 8, 10]) assert.not.ok(Array.from(g.rows).includes(r));
    });
  }
}

const OPTIMIZERS: StepOptions[] = [
  { optimizer: 'sgd', lr: 0.1 },
  { optimizer: 'sgd', lr: 0.05, weightDecay: 0.1 },
  { optimizer: 'adagrad', lr: 0.2 },
  { optimizer: 'adagrad', lr: 0.1, weightDecay: 0.01, eps: 1e-6 },
  { optimizer: 'adam', lr: 0.01 },
  { optimizer: 'adam', lr: 0.02, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.05 },
];

for (const opt of OPTIMIZERS) {
  for (const mode of ['sum', 'mean', 'max'] as Mode[]) {
    test(`step (${JSON.stringify(opt)}, ${mode}) matches the reference update over several batches`, () => {
      const rows = 40;
      const dim = 5;
      const initial = randomFloats(rows * dim, 20);
      const t = EmbeddingTable.fromArray(rows, dim, initial);
      const ref = new RefOptimizer(initial, rows, dim);
      for (let s = 0; s < 4; s++) {
        // Batches touch overlapping subsets, so lazy Adam's per-row step counts diverge.
        const ids = randomIds(30, s % 2 ? 15 : rows, 30 + s);
        const offsets = new Uint32Array([0, 4, 4, 10, 20, 29]);
        const weights = s === 2 ? randomFloats(ids.length, 40) : undefined;
        const gradOut = randomFloats(offsets.length * dim, 50 + s);
        const current = new Float32Array(ref.table);
        const { dense } = refBagBackward(current, dim, ids, offsets, gradOut, mode, weights);
        ref.apply(dense, opt);
        const result = t.step(ids, offsets, gradOut, { ...opt, mode, weights });
        assert.is(result.rowsTouched, dense.size);
        assert.ok(maxError(t.data(), ref.table, 1e-5, 1e-4) <= 1, `after step ${s}`);
      }
      // Rows never touched are bit-for-bit unchanged.
      const data = t.data();
      for (let r = 0; r < rows; r++) {
        if (ref.steps[r] === 0) assert.equal(Array.from(data.subarray(r * dim, (r + 1) * dim)), Array.from(initial.subarray(r * dim, (r + 1) * dim)));
      }
      assert.is(t.optimizerState, opt.optimizer === 'sgd' ? null : opt.optimizer);
    });
  }
}

test('step with offsets null updates like a plain lookup backward', () => {
  const initial = randomFloats(ROWS * DIM, 60);
  const t = EmbeddingTable.fromArray(ROWS, DIM, initial);
  const ref = new RefOptimizer(initial, ROWS, DIM);
  const gradOut = randomFloats(IDS.length * DIM, 61);
  const singles = new Uint32Array(IDS.length).map((_, i) => i);
  ref.apply(refBagBackward(initial, DIM, IDS, singles, gradOut, 'sum').dense, { optimizer: 'adam', lr: 0.05 });
  t.step(IDS, null, gradOut, { optimizer: 'adam', lr: 0.05 });
  assert.ok(maxError(t.data(), ref.table, 1e-5, 1e-4) <= 1);
});

test('lazy Adam counts steps per row: a row touched twice in four steps gets bias corrections of t=2', () => {
  const t = EmbeddingTable.fromArray(3, 1, new Float32Array([0, 0, 0]));
  const ref = new RefOptimizer(new Float32Array(3), 3, 1);
  const g = new Float32Array([1]);
  for (const row of [0, 1, 1, 0]) {
    t.step([row], null, g, { optimizer: 'adam', lr: 0.1 });
    ref.apply(new Map([[row, Float64Array.from([1])]]), { optimizer: 'adam', lr: 0.1 });
  }
  assert.equal(ref.steps[0], 2);
  assert.ok(maxError(t.data(), ref.table, 1e-6, 1e-5) <= 1);
  // With a constant gradient, bias-corrected Adam moves each step by ~lr: two steps each.
  assert.ok(Math.abs(t.get(0)[0] + 0.2) < 1e-3);
  assert.is(t.get(2)[0], 0);
});

test('steps are deterministic across thread counts and equal in async form', async () => {
  const rows = 3000;
  const dim = 16;
  const initial = randomFloats(rows * dim, 70);
  const ids = randomIds(8000, rows, 71);
  const offsets = new Uint32Array(400).map((_, b) => b * 20);
  const gradOut = randomFloats(offsets.length * dim, 72);
  const run = (threads: number) => {
    setThreads(threads);
    const t = EmbeddingTable.fromArray(rows, dim, initial);
    for (let s = 0; s < 2; s++) t.step(ids, offsets, gradOut, { optimizer: 'adagrad', lr: 0.1, mode: 'mean' });
    return t.data();
  };
  const one = run(1);
  const two = run(2);
  setThreads(0);
  assert.equal(Buffer.from(one.buffer).equals(Buffer.from(two.buffer)), true);
  const t = EmbeddingTable.fromArray(rows, dim, initial);
  for (let s = 0; s < 2; s++) await t.stepAsync(ids, offsets, gradOut, { optimizer: 'adagrad', lr: 0.1, mode: 'mean' });
  assert.equal(Buffer.from(t.data().buffer).equals(Buffer.from(one.buffer)), true);
  const g = await t.bagBackwardAsync(ids, offsets, gradOut, { mode: 'sum' });
  const gs = t.bagBackward(ids, offsets, gradOut, { mode: 'sum' });
  assert.equal(Array.from(g.rows), Array.from(gs.rows));
  assert.equal(Array.from(g.grads), Array.from(gs.grads));
});

test('step returns the weights gradient computed before the update', () => {
  const table = randomFloats(ROWS * DIM, 80);
  const gradOut = randomFloats(OFFSETS.length * DIM, 81);
  const weights = randomFloats(IDS.length, 82);
  const t = EmbeddingTable.fromArray(ROWS, DIM, table);
  const r = t.step(IDS, OFFSETS, gradOut, { optimizer: 'sgd', lr: 1, mode: 'mean', weights });
  const ref = refBagBackward(table, DIM, IDS, OFFSETS, gradOut, 'mean', weights);
  assert.ok(maxError(r.weightGrads!, ref.weightGrads, 1e-5, 1e-4) <= 1);
});

test('a rejected batch changes neither the table nor the optimizer state', async () => {
  const initial = randomFloats(ROWS * DIM, 90);
  const t = EmbeddingTable.fromArray(ROWS, DIM, initial);
  const gradOut = randomFloats(OFFSETS.length * DIM, 91);
  t.step(IDS, OFFSETS, gradOut, { optimizer: 'adam', lr: 0.1 });
  const before = t.data();
  const after = () => assert.equal(Array.from(t.data()), Array.from(before));
  const bad = gradOut.slice();
  bad[bad.length - 1] = Number.NaN;
  throwsCode(() => t.step(IDS, OFFSETS, bad, { optimizer: 'adam', lr: 0.1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  bad[bad.length - 1] = Number.POSITIVE_INFINITY;
  throwsCode(() => t.step(IDS, OFFSETS, bad, { optimizer: 'adam', lr: 0.1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  const badIds = IDS.slice();
  badIds[badIds.length - 1] = ROWS; // the last id: everything before it is valid
  throwsCode(() => t.step(badIds, OFFSETS, gradOut, { optimizer: 'adam', lr: 0.1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.step(IDS, new Uint32Array([0, 3, 2, 6, 9]), gradOut, { optimizer: 'adam', lr: 0.1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.step(IDS, OFFSETS, gradOut.subarray(1), { optimizer: 'adam', lr: 0.1 }), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => t.step(IDS, OFFSETS, gradOut, { optimizer: 'adam', lr: -1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.step(IDS, OFFSETS, gradOut, { optimizer: 'adam', lr: 0.1, beta1: 1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.step(IDS, OFFSETS, gradOut, { optimizer: 'rmsprop' as 'sgd', lr: 0.1 }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => t.step(IDS, OFFSETS, gradOut, { optimizer: 'adagrad', lr: 0.1 }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => t.step(IDS, OFFSETS, gradOut, { optimizer: 'sgd', lr: 0.1, weights: new Float32Array(2) }), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => t.bagBackward(IDS, OFFSETS, gradOut.subarray(2)), 'ERR_RECKIT_DIM_MISMATCH');
  try {
    await t.stepAsync(badIds, OFFSETS, gradOut, { optimizer: 'adam', lr: 0.1 });
    assert.unreachable('expected a rejection');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'ERR_RECKIT_OUT_OF_RANGE');
  }
  after();
  // The Adam state is untouched too: the next good step equals the reference from the saved state.
  const ref = new RefOptimizer(initial, ROWS, DIM);
  ref.apply(refBagBackward(initial, DIM, IDS, OFFSETS, gradOut, 'sum').dense, { optimizer: 'adam', lr: 0.1 });
  ref.apply(refBagBackward(new Float32Array(ref.table), DIM, IDS, OFFSETS, gradOut, 'sum').dense, { optimizer: 'adam', lr: 0.1 });
  t.step(IDS, OFFSETS, gradOut, { optimizer: 'adam', lr: 0.1 });
  assert.ok(maxError(t.data(), ref.table, 1e-5, 1e-4) <= 1);
  t.resetOptimizer();
  assert.is(t.optimizerState, null);
  t.step(IDS, OFFSETS, gradOut, { optimizer: 'adagrad', lr: 0.1 });
  assert.is(t.optimizerState, 'adagrad');
  assert.is(t.memoryUsage().optimizerBytes, ROWS * DIM * 4);
});

test('training through bags reduces a regression loss (sanity of signs)', () => {
  // Fit bag means to fixed targets with Adagrad; the squared error must fall.
  const rows = 50;
  const dim = 4;
  const t = new EmbeddingTable({ rows, dim, init: { kind: 'normal', std: 0.1, seed: 5 } });
  const ids = randomIds(100, rows, 100);
  const offsets = new Uint32Array(20).map((_, b) => b * 5);
  const target = randomFloats(offsets.length * dim, 101);
  const lossAndGrad = () => {
    const out = t.lookupBag(ids, offsets, { mode: 'mean' });
    const grad = new Float32Array(out.length);
    let loss = 0;
    for (let i = 0; i < out.length; i++) {
      grad[i] = out[i] - target[i];
      loss += 0.5 * grad[i] * grad[i];
    }
    return { loss, grad };
  };
  const first = lossAndGrad().loss;
  for (let s = 0; s < 200; s++) t.step(ids, offsets, lossAndGrad().grad, { optimizer: 'adagrad', lr: 0.3, mode: 'mean' });
  assert.ok(lossAndGrad().loss < first * 0.5, `${lossAndGrad().loss} vs ${first}`);
  assert.ok(maxError(t.lookupBag(ids, offsets, { mode: 'mean' }), refBag(t.data(), dim, ids, offsets, 'mean'), 1e-6, 1e-5) <= 1);
});

test('concurrent async reads and steps: every read sees the table before or after a whole step', async () => {
  const rows = 2000;
  const dim = 8;
  const initial = randomFloats(rows * dim, 120);
  const t = EmbeddingTable.fromArray(rows, dim, initial);
  const ids = randomIds(4000, rows, 121);
  const offsets = new Uint32Array(200).map((_, b) => b * 20);
  const gradOut = randomFloats(offsets.length * dim, 122);
  const before = t.lookupBag(ids, offsets, { mode: 'sum' });
  const copy = EmbeddingTable.fromArray(rows, dim, initial);
  copy.step(ids, offsets, gradOut, { optimizer: 'sgd', lr: 0.5 });
  const afterOne = copy.lookupBag(ids, offsets, { mode: 'sum' });
  const reads = [t.lookupBagAsync(ids, offsets), t.lookupBagAsync(ids, offsets)];
  const step = t.stepAsync(ids, offsets, gradOut, { optimizer: 'sgd', lr: 0.5 });
  reads.push(t.lookupBagAsync(ids, offsets), t.lookupBagAsync(ids, offsets));
  await step;
  for (const r of await Promise.all(reads)) {
    const asBytes = Buffer.from(r.buffer);
    assert.ok(asBytes.equals(Buffer.from(before.buffer)) || asBytes.equals(Buffer.from(afterOne.buffer)), 'a torn read');
  }
  assert.equal(Array.from(t.lookupBag(ids, offsets)), Array.from(afterOne));
  const g = await t.lookupBackwardAsync(ids.subarray(0, 5), gradOut.subarray(0, 5 * dim));
  assert.equal(Array.from(g.rows), [...new Set(ids.subarray(0, 5))].sort((a, b) => a - b));
});

test('a table works inside a worker thread (no static JS state in the addon)', async () => {
  const { Worker } = await import('node:worker_threads');
  const code = `const { parentPort } = require('node:worker_threads');
    require('tsx/cjs');
    const { EmbeddingTable } = require(${JSON.stringify(require.resolve('../lib/index'))});
    const t = EmbeddingTable.fromArray(3, 2, new Float32Array([1, 2, 3, 4, 5, 6]));
    t.step([1], null, new Float32Array([1, 1]), { optimizer: 'sgd', lr: 1 });
    parentPort.postMessage(Array.from(t.lookupBag([0, 1, 2], [0, 1], { mode: 'max' })));`;
  const result = await new Promise<number[]>((resolve, reject) => {
    const w = new Worker(code, { eval: true });
    w.once('message', resolve);
    w.once('error', reject);
  });
  assert.equal(result, [1, 2, 5, 6]);
});

test('the optimizer row kernels of every ISA (forced with RECKIT_ISA in a child) match the reference, tails included', () => {
  const rows = 20;
  const dim = 37; // 2 full AVX-512 vectors + a masked tail of 5; 4 AVX2 vectors + 5
  const initial = randomFloats(rows * dim, 110);
  const ids = randomIds(30, rows, 111);
  const offsets = [0, 7, 7, 19];
  const gradOut = randomFloats(offsets.length * dim, 112);
  for (const opt of [
    { optimizer: 'sgd', lr: 0.1, weightDecay: 0.2 },
    { optimizer: 'adagrad', lr: 0.1, weightDecay: 0.1 },
    { optimizer: 'adam', lr: 0.05, weightDecay: 0.1 },
  ] as StepOptions[]) {
    const ref = new RefOptimizer(initial, rows, dim);
    for (let s = 0; s < 2; s++) {
      ref.apply(refBagBackward(new Float32Array(ref.table), dim, ids, offsets, gradOut, 'mean').dense, opt);
    }
    for (const isa of info().supportedIsas) {
      const code = `const { EmbeddingTable, info } = require('./lib/index');
        const t = EmbeddingTable.fromArray(${rows}, ${dim}, new Float32Array(${JSON.stringify(Array.from(initial))}));
        const ids = new Uint32Array(${JSON.stringify(Array.from(ids))});
        const g = new Float32Array(${JSON.stringify(Array.from(gradOut))});
        for (let s = 0; s < 2; s++) t.step(ids, new Uint32Array(${JSON.stringify(offsets)}), g, { ...${JSON.stringify(opt)}, mode: 'mean' });
        process.stdout.write(JSON.stringify({ isa: info().isa, data: Array.from(t.data()) }));`;
      const out = JSON.parse(runNode(code, { RECKIT_ISA: isa }, ['-r', 'tsx/cjs', '-e'])) as { isa: string; data: number[] };
      assert.is(out.isa, isa);
      assert.ok(maxError(out.data, ref.table, 1e-5, 1e-4) <= 1, `${opt.optimizer} on ${isa}`);
    }
  }
});

test.run();
