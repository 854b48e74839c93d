// EmbeddingTable construction, row access, lookups and pooled bags against a float64 JS reference on
// every supported ISA, and the errors of bad input (each with its code, the table left unchanged).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EmbeddingTable, info, random, setThreads } from '../lib/index';
import { maxError, randomFloats, randomIds, refBag, type Mode } from './embedding-reference';

const ISAS = info().supportedIsas;

function throwsCode(fn: () => unknown, code: string, name?: string): void {
  try {
    fn();
  } catch (error) {
    assert.is((error as { code?: string }).code, code, (error as Error).message);
    if (name) assert.is((error as Error).name, name);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

async function rejectsCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    assert.is((error as { code?: string }).code, code, (error as Error).message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('normal init equals the Philox normal stream of the seed, on any thread count', () => {
  const expected = random.normal(300 * 8, { seed: 42, std: 0.1 });
  setThreads(1);
  const one = new EmbeddingTable({ rows: 300, dim: 8, init: { kind: 'normal', std: 0.1, seed: 42 } }).data();
  setThreads(2);
  const two = new EmbeddingTable({ rows: 300, dim: 8, init: { kind: 'normal', std: 0.1, seed: 42 } }).data();
  setThreads(0);
  assert.equal(Array.from(one), Array.from(expected));
  assert.equal(Array.from(two), Array.from(expected));
  let mean = 0;
  for (const v of one) mean += v / one.length;
  assert.ok(Math.abs(mean) < 0.01);
});

test('createAsync builds the same table as the constructor, and rejects bad options', async () => {
  const options = { rows: 500, dim: 6, init: { kind: 'uniform' as const, range: 0.5, seed: 77 } };
  const a = await EmbeddingTable.createAsync(options);
  assert.equal(Array.from(a.data()), Array.from(new EmbeddingTable(options).data()));
  await rejectsCode(EmbeddingTable.createAsync({ rows: 0, dim: 6 }), 'ERR_RECKIT_OUT_OF_RANGE');
  await rejectsCode(EmbeddingTable.createAsync({ rows: 2 ** 32, dim: 65536 }), 'ERR_RECKIT_OUT_OF_MEMORY');
});

test('uniform init stays in its range and zeros init is all zeros', () => {
  const u = new EmbeddingTable({ rows: 1000, dim: 4, init: { kind: 'uniform', range: [-0.5, 0.25], seed: 3 } }).data();
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of u) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  assert.ok(lo >= -0.5 && lo < -0.49, `min ${lo}`);
  assert.ok(hi < 0.25 && hi > 0.24, `max ${hi}`);
  const z = new EmbeddingTable({ rows: 7, dim: 3, init: { kind: 'zeros' } }).data();
  assert.ok(z.every((v) => v === 0));
  const other = new EmbeddingTable({ rows: 1000, dim: 4, init: { kind: 'uniform', range: [-0.5, 0.25], seed: 4 } }).data();
  assert.not.equal(Array.from(u.subarray(0, 8)), Array.from(other.subarray(0, 8)));
});

test('fromArray, get, set and data round-trip; data() is a copy', () => {
  const values = randomFloats(5 * 3, 1);
  const t = EmbeddingTable.fromArray(5, 3, values);
  assert.is(t.rows, 5);
  assert.is(t.dim, 3);
  assert.equal(Array.from(t.get(2)), Array.from(values.subarray(6, 9)));
  const snapshot = t.data();
  t.set(2, new Float32Array([1, 2, 3]));
  assert.equal(Array.from(t.get(2)), [1, 2, 3]);
  assert.equal(Array.from(snapshot.subarray(6, 9)), Array.from(values.subarray(6, 9)));
  const mem = t.memoryUsage();
  // the default device is auto: with a CUDA library the rows live on the device and the host keeps no copy
  const onDevice = t.device === 'cuda';
  assert.equal(mem, { tableBytes: 60, optimizerBytes: 0, mapped: false, deviceBytes: onDevice ? 60 : 0, totalBytes: onDevice ? 0 : 60 });
});

for (const isa of ISAS) {
  test(`lookup gathers rows (isa ${isa}, tails and multi-block dims)`, () => {
    for (const dim of [1, 7, 16, 64, 100, 130]) {
      const rows = 50;
      const table = randomFloats(rows * dim, dim);
      const t = EmbeddingTable.fromArray(rows, dim, table);
      const ids = randomIds(300, rows, 7 + dim);
      const out = t.lookup(ids, { isa });
      const expected = new Float32Array(ids.length * dim);
      ids.forEach((id, i) => expected.set(table.subarray(id * dim, (id + 1) * dim), i * dim));
      assert.equal(Array.from(out), Array.from(expected), `dim ${dim}`);
    }
  });

  test(`lookupBag matches the reference in every mode, with duplicates, empty bags and weights (isa ${isa})`, () => {
    for (const dim of [3, 16, 64, 70]) {
      const rows = 20;
      const table = randomFloats(rows * dim, 100 + dim);
      const t = EmbeddingTable.fromArray(rows, dim, table);
      // Bags: empty first, duplicates inside bag 1, an empty bag in the middle, a long last bag.
      const ids = new Uint32Array([3, 3, 5, 3, 19, 0, 0, 7, 8, 9, 10, 11, 12, 13, 7, 3, 19, 2]);
      const offsets = new Uint32Array([0, 0, 4, 4, 6]);
      const weights = randomFloats(ids.length, 9);
      for (const mode of ['sum', 'mean', 'max'] as Mode[]) {
        for (const w of [undefined, weights]) {
          const out = t.lookupBag(ids, offsets, { mode, weights: w, isa });
          const expected = refBag(table, dim, ids, offsets, mode, w);
          assert.ok(maxError(out, expected, 1e-6, 1e-5) <= 1, `${mode} weights=${!!w} dim ${dim}`);
          for (let d = 0; d < dim; d++) assert.is(out[d], 0, 'empty bag yields zeros');
          for (let d = 0; d < dim; d++) assert.is(out[2 * dim + d], 0, 'empty middle bag yields zeros');
        }
      }
    }
  });
}

test('large gathers (streaming-store path) match the rows on every ISA, aligned or not', () => {
  const rows = 1000;
  const dim = 64;
  const table = randomFloats(rows * dim, 31);
  const t = EmbeddingTable.fromArray(rows, dim, table);
  const ids = randomIds(40000, rows, 32); // 10 MB of output: above the streaming threshold
  const expected = new Float32Array(ids.length * dim);
  ids.forEach((id, i) => expected.set(table.subarray(id * dim, (id + 1) * dim), i * dim));
  const backing = new Float32Array(ids.length * dim + 16);
  for (const isa of ISAS) {
    assert.ok(Buffer.from(t.lookup(ids, { isa }).buffer).equals(Buffer.from(expected.buffer)), isa);
    const misaligned = backing.subarray(1, 1 + ids.length * dim); // 4-byte offset: the plain-store path
    t.lookup(ids, { isa, out: misaligned });
    assert.ok(Buffer.from(misaligned.slice().buffer).equals(Buffer.from(expected.buffer)), `${isa} misaligned`);
  }
});

test('lookupBag over a large random batch matches the reference (parallel chunks)', () => {
  const rows = 5000;
  const dim = 32;
  const table = randomFloats(rows * dim, 5);
  const t = EmbeddingTable.fromArray(rows, dim, table);
  const ids = randomIds(4000, rows, 6);
  const offsets = new Uint32Array(200).map((_, b) => b * 20);
  for (const mode of ['sum', 'mean', 'max'] as Mode[]) {
    const out = t.lookupBag(ids, offsets, { mode });
    assert.ok(maxError(out, refBag(table, dim, ids, offsets, mode), 1e-6, 1e-5) <= 1, mode);
  }
});

test('ids and offsets as subarray views, Int32Array and plain arrays give the same bags', () => {
  const table = randomFloats(10 * 4, 2);
  const t = EmbeddingTable.fromArray(10, 4, table);
  const backing = new Uint32Array([99, 99, 1, 2, 3, 4, 99]);
  const ids = backing.subarray(2, 6);
  const offBacking = new Int32Array([7, 0, 2]);
  const a = t.lookupBag(ids, offBacking.subarray(1), { mode: 'sum' });
  const b = t.lookupBag([1, 2, 3, 4], [0, 2], { mode: 'sum' });
  const c = t.lookupBag(new Int32Array([1, 2, 3, 4]), new Uint32Array([0, 2]), { mode: 'sum' });
  assert.equal(Array.from(a), Array.from(b));
  assert.equal(Array.from(a), Array.from(c));
  assert.ok(maxError(a, refBag(table, 4, [1, 2, 3, 4], [0, 2], 'sum'), 1e-6, 1e-5) <= 1);
});

test('async lookups equal the sync ones and the ids may be reused at once', async () => {
  const rows = 1000;
  const dim = 24;
  const table = randomFloats(rows * dim, 11);
  const t = EmbeddingTable.fromArray(rows, dim, table);
  const ids = randomIds(2000, rows, 12);
  const offsets = new Uint32Array(100).map((_, b) => b * 20);
  const weights = randomFloats(ids.length, 13);
  const syncGather = t.lookup(ids);
  const syncBag = t.lookupBag(ids, offsets, { mode: 'mean', weights });
  const pending = t.lookupAsync(ids);
  const pendingBag = t.lookupBagAsync(ids, offsets, { mode: 'mean', weights });
  const saved = ids.slice();
  ids.fill(rows + 5); // would be out of range if the async call read the caller's array late
  assert.equal(Array.from(await pending), Array.from(syncGather));
  assert.equal(Array.from(await pendingBag), Array.from(syncBag));
  ids.set(saved);
  await rejectsCode(t.lookupAsync(new Uint32Array([rows])), 'ERR_RECKIT_OUT_OF_RANGE');
  await rejectsCode(t.lookupBagAsync(ids, new Uint32Array([1])), 'ERR_RECKIT_OUT_OF_RANGE');
});

test('out: results are written into the caller\'s buffer (sync and async), which must have the right length', async () => {
  const table = randomFloats(30 * 5, 21);
  const t = EmbeddingTable.fromArray(30, 5, table);
  const ids = randomIds(12, 30, 22);
  const offsets = new Uint32Array([0, 5, 5]);
  const gatherOut = new Float32Array(12 * 5).fill(Number.NaN);
  assert.is(t.lookup(ids, { out: gatherOut }), gatherOut);
  assert.equal(Array.from(gatherOut), Array.from(t.lookup(ids)));
  const bagOut = new Float32Array(3 * 5).fill(7);
  assert.is(t.lookupBag(ids, offsets, { mode: 'mean', out: bagOut }), bagOut);
  assert.ok(maxError(bagOut, refBag(table, 5, ids, offsets, 'mean'), 1e-6, 1e-5) <= 1);
  const asyncOut = new Float32Array(3 * 5);
  assert.is(await t.lookupBagAsync(ids, offsets, { mode: 'max', out: asyncOut }), asyncOut);
  assert.ok(maxError(asyncOut, refBag(table, 5, ids, offsets, 'max'), 1e-6, 1e-5) <= 1);
  const asyncGather = new Float32Array(12 * 5);
  assert.is(await t.lookupAsync(ids, { out: asyncGather }), asyncGather);
  assert.equal(Array.from(asyncGather), Array.from(gatherOut));
  throwsCode(() => t.lookup(ids, { out: new Float32Array(12 * 5 - 1) }), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => t.lookupBag(ids, offsets, { out: new Float32Array(16) }), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => t.lookup(ids, { out: new Float64Array(60) as unknown as Float32Array }), 'ERR_RECKIT_INVALID_ARG');
});

test('bad ids raise OUT_OF_RANGE / INVALID_ARG naming the first bad index', () => {
  const t = new EmbeddingTable({ rows: 10, dim: 4, init: { kind: 'normal', seed: 1 } });
  throwsCode(() => t.lookup(new Int32Array([1, -3])), 'ERR_RECKIT_OUT_OF_RANGE', 'RangeError');
  throwsCode(() => t.lookup(new Uint32Array([1, 10])), 'ERR_RECKIT_OUT_OF_RANGE', 'RangeError');
  throwsCode(() => t.lookup([1, 2.5]), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookup([1, -1]), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookup([1, Number.NaN]), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookup(new Float32Array([1]) as unknown as Uint32Array), 'ERR_RECKIT_INVALID_ARG', 'TypeError');
  throwsCode(() => t.lookup('1' as unknown as number[]), 'ERR_RECKIT_INVALID_ARG');
  try {
    t.lookup(new Uint32Array([0, 1, 2, 77]));
  } catch (error) {
    assert.match((error as Error).message, /ids\[3\] = 77/);
  }
  throwsCode(() => t.get(10), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.get(-1), 'ERR_RECKIT_OUT_OF_RANGE');
});

test('bad offsets, weights and modes raise coded errors', () => {
  const t = new EmbeddingTable({ rows: 10, dim: 4, init: { kind: 'normal', seed: 1 } });
  const ids = new Uint32Array([1, 2, 3, 4]);
  throwsCode(() => t.lookupBag(ids, new Uint32Array([0, 3, 2])), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookupBag(ids, new Uint32Array([0, 5])), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookupBag(ids, new Uint32Array([1, 2])), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookupBag(ids, new Int32Array([0, -2])), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookupBag(ids, new Uint32Array([])), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => t.lookupBag(ids, [0, 2], { weights: new Float32Array(3) }), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => t.lookupBag(ids, [0, 2], { weights: new Float32Array([1, Number.NaN, 1, 1]) }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.lookupBag(ids, [0, 2], { weights: [1, 1, 1, 1] as unknown as Float32Array }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => t.lookupBag(ids, [0, 2], { mode: 'min' as Mode }), 'ERR_RECKIT_INVALID_ARG');
  // The empty batch is fine: no bags, no rows.
  assert.is(t.lookupBag(new Uint32Array(0), new Uint32Array(0)).length, 0);
});

test('set and fromArray reject wrong lengths and non-finite values, leaving the table unchanged', () => {
  const t = new EmbeddingTable({ rows: 4, dim: 3, init: { kind: 'uniform', seed: 2 } });
  const before = t.data();
  throwsCode(() => t.set(1, new Float32Array(2)), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => t.set(1, new Float32Array([0, Number.POSITIVE_INFINITY, 0])), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => t.set(4, new Float32Array(3)), 'ERR_RECKIT_OUT_OF_RANGE');
  assert.equal(Array.from(t.data()), Array.from(before));
  throwsCode(() => EmbeddingTable.fromArray(2, 2, new Float32Array(3)), 'ERR_RECKIT_DIM_MISMATCH');
  throwsCode(() => EmbeddingTable.fromArray(1, 2, new Float32Array([0, Number.NaN])), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => new EmbeddingTable({ rows: 0, dim: 2 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => new EmbeddingTable({ rows: 2, dim: 1.5 }), 'ERR_RECKIT_OUT_OF_RANGE');
  throwsCode(() => new EmbeddingTable({ rows: 2, dim: 2, init: { kind: 'gaussian' as 'normal' } }), 'ERR_RECKIT_INVALID_ARG');
  throwsCode(() => new EmbeddingTable({ rows: 2, dim: 2, init: { kind: 'normal', std: -1 } }), 'ERR_RECKIT_OUT_OF_RANGE');
  // 2^32 × 65536 floats (1 PiB) exceeds any address space: a coded error, not a crash.
  throwsCode(() => new EmbeddingTable({ rows: 2 ** 32, dim: 65536, init: { kind: 'zeros' } }), 'ERR_RECKIT_OUT_OF_MEMORY');
});

test('use after dispose raises ERR_RECKIT_DISPOSED and frees the memory', async () => {
  const t = new EmbeddingTable({ rows: 100, dim: 8 });
  t.dispose();
  t.dispose();
  assert.ok(t.disposed);
  assert.is(t.memoryUsage().totalBytes, 0);
  throwsCode(() => t.lookup([0]), 'ERR_RECKIT_DISPOSED');
  throwsCode(() => t.lookupBag([0], [0]), 'ERR_RECKIT_DISPOSED');
  throwsCode(() => t.get(0), 'ERR_RECKIT_DISPOSED');
  throwsCode(() => t.set(0, new Float32Array(8)), 'ERR_RECKIT_DISPOSED');
  throwsCode(() => t.data(), 'ERR_RECKIT_DISPOSED');
  throwsCode(() => t.step([0], null, new Float32Array(8), { optimizer: 'sgd', lr: 1 }), 'ERR_RECKIT_DISPOSED');
  await rejectsCode(t.lookupAsync([0]), 'ERR_RECKIT_DISPOSED');
});

test('clone is an independent copy', () => {
  const t = new EmbeddingTable({ rows: 3, dim: 2, init: { kind: 'normal', seed: 9 } });
  const c = t.clone();
  c.set(0, new Float32Array([5, 5]));
  assert.not.equal(Array.from(t.get(0)), [5, 5]);
  assert.equal(Array.from(c.get(1)), Array.from(t.get(1)));
});

test.run();
