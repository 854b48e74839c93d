// The device-resident EmbeddingTable ({ device: 'cuda' }) against the CPU table built from the same rows:
// lookups and pooled bags (sum / mean / max, weights, empty first / middle / last bags, dim tails), the
// backward in every mode — max with ties between positions, the CPU's "first position wins" rule — its weight
// gradients, and three fused optimizer steps in a row for every optimizer and mode, with the optimizer state
// read back from the device and carried on by the CPU. Tolerances: forward and backward within 1e-6, tables
// after steps within 1e-5 relative + 1e-6 absolute (the update formulas are the CPU's; sums run in the CPU's
// order, so most values come out bit-equal). Out-of-memory on the device leaves the table as it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex, EmbeddingTable } from '../../lib/index';
import type { PoolMode, SparseOptimizerKind } from '../../lib/embedding-table';
import { seededFloats } from '../helpers';
import { assertAllClose, requireCudaBackend } from './cuda-backend';

const { backend } = requireCudaBackend();

const MODES: PoolMode[] = ['sum', 'mean', 'max'];
const OPTIMIZERS: SparseOptimizerKind[] = ['sgd', 'adagrad', 'adam'];

function pair(rows: number, dim: number, data: Float32Array): { cpu: EmbeddingTable; gpu: EmbeddingTable } {
  const cpu = EmbeddingTable.fromArray(rows, dim, data, { device: 'cpu' });
  const gpu = EmbeddingTable.fromArray(rows, dim, data, { device: 'cuda' });
  assert.is(gpu.device, 'cuda');
  assert.is(cpu.device, 'cpu');
  return { cpu, gpu };
}

// Small integers: many exact ties inside a max bag, between different rows and repeats of one row.
function tiedFloats(n: number, seed: number): Float32Array {
  return seededFloats(n, seed).map((x) => Math.round(x * 2));
}

const BAGS = {
  ids: [4, 9, 4, 0, 31, 31, 2, 17, 9, 4, 30],
  offsets: [0, 0, 3, 3, 7, 11, 11],  // empty first, middle and last (two) bags
};

for (const dim of [1, 7, 129, 256]) {
  test(`device table dim ${dim}: lookup and bags (sum, mean, max, weights, empty bags) equal the CPU`, () => {
    const rows = 32;
    const { cpu, gpu } = pair(rows, dim, seededFloats(rows * dim, 5 + dim));
    assertAllClose(gpu.lookup(BAGS.ids), cpu.lookup(BAGS.ids), 0, 0, 'lookup');
    const weights = seededFloats(BAGS.ids.length, 77);
    for (const mode of MODES) {
      for (const w of [undefined, weights]) {
        const opts = { mode, ...(w ? { weights: w } : {}) };
        assertAllClose(gpu.lookupBag(BAGS.ids, BAGS.offsets, opts), cpu.lookupBag(BAGS.ids, BAGS.offsets, opts), 1e-6, 1e-6,
          `bag ${mode}${w ? ' weighted' : ''}`);
      }
    }
    cpu.dispose();
    gpu.dispose();
  });
}

for (const mode of MODES) {
  for (const dim of [3, 130]) {
    test(`device table backward ${mode} dim ${dim}: rows, gradients and weight gradients equal the CPU (ties, empty bags)`, () => {
      const rows = 32;
      const { cpu, gpu } = pair(rows, dim, tiedFloats(rows * dim, 11 + dim));
      const bags = BAGS.offsets.length;
      const gradOut = seededFloats(bags * dim, 21);
      for (const weights of [undefined, Float32Array.from(BAGS.ids, (_, i) => (i % 3 === 0 ? 1 : 0.5))]) {
        const opts = { mode, ...(weights ? { weights } : {}) };
        const want = cpu.bagBackward(BAGS.ids, BAGS.offsets, gradOut, opts);
        const got = gpu.bagBackward(BAGS.ids, BAGS.offsets, gradOut, opts);
        assert.equal(Array.from(got.rows), Array.from(want.rows), 'touched rows');
        assertAllClose(got.grads, want.grads, 1e-6, 1e-6, 'grads');
        if (weights) assertAllClose(got.weightGrads!, want.weightGrads!, 1e-6, 1e-6, 'weightGrads');
        else assert.is(got.weightGrads, undefined);
      }
      // a plain lookup's backward (every id its own bag) and an empty batch
      const plainGrad = seededFloats(BAGS.ids.length * dim, 22);
      const plain = gpu.lookupBackward(BAGS.ids, plainGrad);
      const plainCpu = cpu.lookupBackward(BAGS.ids, plainGrad);
      assert.equal(Array.from(plain.rows), Array.from(plainCpu.rows));
      assertAllClose(plain.grads, plainCpu.grads, 1e-6, 1e-6, 'lookup backward');
      assert.is(gpu.bagBackward([], [0], new Float32Array(dim), { mode }).rows.length, 0);
      cpu.dispose();
      gpu.dispose();
    });
  }
}

test('device table max backward: the first position holding a tied maximum gets the gradient', () => {
  // Rows 0 and 1 are equal and row 2 is smaller: bag [1, 0, 2] sends everything to position 0 (row 1), none
  // to position 1 (row 0) holding the same values.
  const data = Float32Array.from([2, -1, 2, -1, 0, -5]);
  const gpu = EmbeddingTable.fromArray(3, 2, data, { device: 'cuda' });
  const g = gpu.bagBackward([1, 0, 2], [0], Float32Array.from([1, 10]), { mode: 'max' });
  assert.equal(Array.from(g.rows), [0, 1, 2]);
  assert.equal(Array.from(g.grads), [0, 0, 1, 10, 0, 0]);
  gpu.dispose();
});

const STEP_BATCHES: { ids: number[]; offsets: number[] | null; weighted: boolean }[] = [
  { ids: [3, 7, 3, 39, 0, 7], offsets: [0, 2, 2, 5], weighted: true },
  { ids: [7, 7, 7, 12, 3], offsets: [0, 3], weighted: false },
  { ids: [5, 0, 39, 5], offsets: null, weighted: false },
];

for (const optimizer of OPTIMIZERS) {
  for (const mode of MODES) {
    test(`device table step ${optimizer} ${mode}: three steps match the CPU, the state comes back from the device`, () => {
      const rows = 40, dim = 131;
      const { cpu, gpu } = pair(rows, dim, tiedFloats(rows * dim, 17));
      const hyper = { optimizer, lr: 0.05, weightDecay: 0.01, mode };
      STEP_BATCHES.forEach((batch, i) => {
        const bags = batch.offsets ? batch.offsets.length : batch.ids.length;
        const gradOut = seededFloats(bags * dim, 100 + i);
        const opts = { ...hyper, ...(batch.weighted ? { weights: seededFloats(batch.ids.length, 200 + i) } : {}) };
        const want = cpu.step(batch.ids, batch.offsets, gradOut, opts);
        const got = gpu.step(batch.ids, batch.offsets, gradOut, opts);
        assert.is(got.rowsTouched, want.rowsTouched, `step ${i}: rows touched`);
        if (batch.weighted) assertAllClose(got.weightGrads!, want.weightGrads!, 1e-6, 1e-6, `step ${i}: weightGrads`);
        assertAllClose(gpu.data(), cpu.data(), 1e-5, 1e-6, `table after step ${i}`);
      });
      assert.is(gpu.optimizerState, cpu.optimizerState);
      const mem = cpu.memoryUsage(), onDevice = gpu.memoryUsage();
      assert.equal({ ...onDevice, deviceBytes: 0, totalBytes: mem.totalBytes }, mem);
      // the rows, the state and the batch buffers kept for the next step; no host copy of either
      assert.ok(onDevice.deviceBytes > mem.tableBytes + mem.optimizerBytes, String(onDevice.deviceBytes));
      assert.is(onDevice.totalBytes, 0);
      // The device's optimizer state, saved and loaded on the CPU, continues exactly like the CPU's own.
      const moved = EmbeddingTable.fromBuffer(gpu.toBuffer({ optimizerState: true }), { optimizerState: true, device: 'cpu' });
      const gradOut = seededFloats(4 * dim, 300);
      const opts = { ...hyper, optimizer };
      moved.step([7, 3, 39, 7], [0, 1, 2, 3], gradOut, opts);
      cpu.step([7, 3, 39, 7], [0, 1, 2, 3], gradOut, opts);
      assertAllClose(moved.data(), cpu.data(), 1e-5, 1e-6, 'CPU step from the device state');
      for (const t of [cpu, gpu, moved]) t.dispose();
    });
  }
}

test('device table: writes (set, fromBuffer with state, resetOptimizer, clone) reach the device', async () => {
  const rows = 16, dim = 5;
  const { cpu, gpu } = pair(rows, dim, seededFloats(rows * dim, 3));
  const v = Float32Array.from([1, 2, 3, 4, 5]);
  cpu.set(6, v);
  gpu.set(6, v);
  assertAllClose(gpu.lookup([6, 2]), cpu.lookup([6, 2]), 0, 0, 'lookup after set');
  const go = seededFloats(3 * dim, 4);
  for (const t of [cpu, gpu]) t.step([6, 2, 6], null, go, { optimizer: 'adam', lr: 0.1 });
  // A device table loaded with Adam state continues from it.
  const loaded = EmbeddingTable.fromBuffer(cpu.toBuffer({ optimizerState: true }), { optimizerState: true, device: 'cuda' });
  assert.is(loaded.device, 'cuda');
  const clone = gpu.clone();
  assert.is(clone.device, 'cuda');
  for (const t of [cpu, gpu, loaded, clone]) t.step([2, 2, 9], null, go, { optimizer: 'adam', lr: 0.1 });
  for (const t of [gpu, loaded, clone]) assertAllClose(t.data(), cpu.data(), 1e-5, 1e-6, 'after a second Adam step');
  // reset on both: the next Adagrad step starts from zero state on the device too.
  for (const t of [cpu, gpu]) {
    t.resetOptimizer();
    t.step([2], null, go.subarray(0, dim), { optimizer: 'adagrad', lr: 0.1 });
  }
  assertAllClose(gpu.data(), cpu.data(), 1e-5, 1e-6, 'Adagrad after reset');
  // async forms run off the event loop against the same resident table
  const ids = [1, 6, 6];
  assertAllClose(await gpu.lookupBagAsync(ids, [0, 1], { mode: 'max' }), cpu.lookupBag(ids, [0, 1], { mode: 'max' }), 0, 0, 'async bag');
  const [a, b] = await Promise.all([
    gpu.stepAsync(ids, [0, 1], go.subarray(0, 2 * dim), { optimizer: 'adagrad', lr: 0.1, mode: 'max' }),
    Promise.resolve(cpu.step(ids, [0, 1], go.subarray(0, 2 * dim), { optimizer: 'adagrad', lr: 0.1, mode: 'max' })),
  ]);
  assert.is(a.rowsTouched, b.rowsTouched);
  assertAllClose(gpu.data(), cpu.data(), 1e-5, 1e-6, 'after stepAsync');
  const created = await EmbeddingTable.createAsync({ rows, dim, init: { kind: 'uniform', seed: 9 }, device: 'cuda' });
  assert.is(created.device, 'cuda');
  assertAllClose(created.lookup([3]), new EmbeddingTable({ rows, dim, init: { kind: 'uniform', seed: 9 }, device: 'cpu' }).lookup([3]), 0, 0, 'createAsync');
  for (const t of [cpu, gpu, loaded, clone, created]) t.dispose();
});

test('device table: batch buffers are kept and reused (deviceBytes), grown only by a larger batch', () => {
  const rows = 64, dim = 9;
  const { cpu, gpu } = pair(rows, dim, seededFloats(rows * dim, 31));
  assert.is(gpu.memoryUsage().deviceBytes, rows * dim * 4);  // the rows only, before any batch
  const batch = (n: number, seed: number) => Uint32Array.from(seededFloats(n, seed), (x) => Math.floor((x + 1) * 31.5) % rows);
  const go = (n: number, seed: number) => seededFloats(n * dim, seed);
  const small = batch(20, 1), large = batch(50, 2);
  gpu.step(small, null, go(20, 3), { optimizer: 'adagrad', lr: 0.1 });
  cpu.step(small, null, go(20, 3), { optimizer: 'adagrad', lr: 0.1 });
  const afterFirst = gpu.memoryUsage().deviceBytes;
  assert.ok(afterFirst > 2 * rows * dim * 4, 'rows, Adagrad sums and batch buffers');
  // A second batch of the same size, then smaller ones of every kind: no buffer grows; the stale contents of the
  // reused buffers must not leak into the results.
  for (const [i, ids] of [batch(20, 4), batch(7, 5), batch(1, 6)].entries()) {
    const opts = { optimizer: 'adagrad' as const, lr: 0.1 };
    assert.is(gpu.step(ids, null, go(ids.length, 10 + i), opts).rowsTouched, cpu.step(ids, null, go(ids.length, 10 + i), opts).rowsTouched);
    assertAllClose(gpu.lookup(ids), cpu.lookup(ids), 1e-5, 1e-6, `lookup ${i}`);
    const g = gpu.lookupBackward(ids, go(ids.length, 20 + i)), c = cpu.lookupBackward(ids, go(ids.length, 20 + i));
    assert.equal(Array.from(g.rows), Array.from(c.rows));
    assertAllClose(g.grads, c.grads, 1e-6, 1e-6, `backward ${i}`);
  }
  assertAllClose(gpu.data(), cpu.data(), 1e-5, 1e-6, 'rows after reusing the buffers');
  for (const row of [0, 31, 63]) assertAllClose(gpu.get(row), cpu.get(row), 1e-5, 1e-6, `get(${row})`);
  const steady = gpu.memoryUsage().deviceBytes;
  assert.ok(steady >= afterFirst, 'a lookup may add its output buffer');
  gpu.lookup(batch(20, 7));
  gpu.step(batch(20, 8), null, go(20, 9), { optimizer: 'adagrad', lr: 0.1 });
  assert.is(gpu.memoryUsage().deviceBytes, steady, 'the same sizes again: nothing allocated');
  gpu.step(large, null, go(50, 30), { optimizer: 'adagrad', lr: 0.1 });
  assert.ok(gpu.memoryUsage().deviceBytes > steady, 'a larger batch grows them');
  cpu.dispose();
  gpu.dispose();
});

test('device table: no host copy of the rows or the state between calls; reads copy what they return', async () => {
  const rows = 24, dim = 6;
  const { cpu, gpu } = pair(rows, dim, seededFloats(rows * dim, 41));
  const go = seededFloats(3 * dim, 42);
  for (const t of [cpu, gpu]) t.step([4, 9, 4], null, go, { optimizer: 'adam', lr: 0.05 });
  const host = () => gpu.memoryUsage().totalBytes;
  assert.is(host(), 0, 'after creation and a step');
  // Every read: the values the CPU table gives, and still nothing kept on the host afterwards.
  assertAllClose(gpu.get(4), cpu.get(4), 1e-5, 1e-6, 'get');
  assertAllClose(gpu.data(), cpu.data(), 1e-5, 1e-6, 'data');
  const saved = EmbeddingTable.fromBuffer(gpu.toBuffer({ optimizerState: true }), { optimizerState: true, device: 'cpu' });
  const savedAsync = EmbeddingTable.fromBuffer(await gpu.toBufferAsync({ optimizerState: true }), { optimizerState: true, device: 'cpu' });
  const clone = gpu.clone();
  assert.is(clone.device, 'cuda');
  assert.is(clone.memoryUsage().totalBytes, 0, 'a clone on the device holds no host copy either');
  assert.is(host(), 0, 'after get, data, toBuffer and clone');
  // The saved state is the device's: one more step from it matches the CPU table's.
  const next = seededFloats(2 * dim, 43);
  for (const t of [cpu, saved, savedAsync, clone]) t.step([9, 17], null, next, { optimizer: 'adam', lr: 0.05 });
  for (const t of [saved, savedAsync, clone]) assertAllClose(t.data(), cpu.data(), 1e-5, 1e-6, 'a step from the read state');
  // The rows a CosineIndex is built from are the device's.
  const ids = Float64Array.from({ length: rows }, (_, i) => i + 100);
  const index = CosineIndex.fromTable(clone, { ids, device: 'cpu' });
  const reference = CosineIndex.fromTable(cpu, { ids, device: 'cpu' });
  const query = cpu.get(17);
  const got = index.searchSync(query, { k: 5 }), want = reference.searchSync(query, { k: 5 });
  assert.is(got.ids[0], 117);
  assert.equal(Array.from(got.ids), Array.from(want.ids));
  assertAllClose(got.scores, want.scores, 1e-5, 1e-5, 'scores from the device rows');
  for (const t of [cpu, gpu, saved, savedAsync, clone, index, reference]) t.dispose();
});

test('device table: a bad batch is refused before the device sees it, the table unchanged', () => {
  const gpu = EmbeddingTable.fromArray(4, 2, Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), { device: 'cuda' });
  const before = gpu.data();
  const cases: [() => unknown, string][] = [
    [() => gpu.lookup([4]), 'ERR_RECKIT_OUT_OF_RANGE'],
    [() => gpu.lookupBag([0, 1], [1]), 'ERR_RECKIT_OUT_OF_RANGE'],
    [() => gpu.step([0, 1], null, new Float32Array(3), { optimizer: 'sgd', lr: 1 }), 'ERR_RECKIT_DIM_MISMATCH'],
    [() => gpu.step([0, 1], null, Float32Array.from([1, 1, NaN, 1]), { optimizer: 'sgd', lr: 1 }), 'ERR_RECKIT_OUT_OF_RANGE'],
  ];
  for (const [call, code] of cases) {
    try {
      call();
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, code, String(e));
    }
  }
  gpu.step([1], null, Float32Array.from([1, 1]), { optimizer: 'adam', lr: 0.1 });
  try {
    gpu.step([1], null, Float32Array.from([1, 1]), { optimizer: 'adagrad', lr: 0.1 });
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_INVALID_ARG');
  }
  assert.is(gpu.data()[0], before[0]);
  gpu.dispose();
});

if (backend === 'emulated') {
  test('device table: out-of-memory creating Adam state is ERR_RECKIT_OUT_OF_MEMORY and changes nothing (emulated limit)', () => {
    const rows = 2048, dim = 64;  // 512 KB of rows; Adam needs 1 MB more
    const gpu = EmbeddingTable.fromArray(rows, dim, seededFloats(rows * dim, 8), { device: 'cuda' });
    const before = gpu.data();
    const go = seededFloats(2 * dim, 9);
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = String(1 << 20);
    try {
      gpu.step([5, 6], null, go, { optimizer: 'adam', lr: 0.1 });
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY', String(e));
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
    assert.is(gpu.optimizerState, null);
    assertAllClose(gpu.data(), before, 0, 0, 'rows after the failed step');
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = '4096';
    try {
      EmbeddingTable.fromArray(rows, dim, before, { device: 'cuda' });
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY', String(e));
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
    const r = gpu.step([5, 6], null, go, { optimizer: 'adam', lr: 0.1 });  // and it works once memory is there
    assert.is(r.rowsTouched, 2);
    assert.is(gpu.optimizerState, 'adam');
    gpu.dispose();
  });

  // Runs body with the emulator's device memory limited to `bytes`.
  const withDeviceLimit = async <T>(bytes: number, body: () => T | Promise<T>): Promise<T> => {
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = String(bytes);
    try {
      return await body();
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
  };

  test('device auto: a table the device cannot hold is made on the CPU, without an error (emulated limit)', async () => {
    const rows = 2048, dim = 64;  // 512 KB of rows
    const data = seededFloats(rows * dim, 12);
    const made = await withDeviceLimit(4096, async () => [
      EmbeddingTable.fromArray(rows, dim, data),  // auto is the default
      EmbeddingTable.fromArray(rows, dim, data, { device: 'auto' }),
      new EmbeddingTable({ rows, dim, init: { kind: 'uniform', seed: 4 } }),
      await EmbeddingTable.createAsync({ rows, dim, init: { kind: 'uniform', seed: 4 } }),
      EmbeddingTable.fromBuffer(EmbeddingTable.fromArray(rows, dim, data, { device: 'cpu' }).toBuffer()),
    ]);
    for (const t of made) assert.is(t.device, 'cpu');
    assertAllClose(made[0].data(), data, 0, 0, 'rows');
    assertAllClose(made[2].data(), made[3].data(), 0, 0, 'seeded rows');
    assert.is(made[0].memoryUsage().deviceBytes, 0);
    const fits = EmbeddingTable.fromArray(rows, dim, data);  // and the device once it has room
    assert.is(fits.device, 'cuda');
    for (const t of [...made, fits]) t.dispose();
  });

  test('device auto: out of device memory in a later step moves the table to the CPU, rows and state intact, and the step completes there', async () => {
    const rows = 2048, dim = 64;
    const data = seededFloats(rows * dim, 13);
    const cpu = EmbeddingTable.fromArray(rows, dim, data, { device: 'cpu' });
    const auto = EmbeddingTable.fromArray(rows, dim, data, { device: 'auto' });
    assert.is(auto.device, 'cuda');
    const batches = [[5, 6, 5], [6, 2047, 0], [1, 5, 9]].map((ids, i) => ({ ids, go: seededFloats(ids.length * dim, 40 + i) }));
    // Two SGD steps on the device: the host mirror is now stale and must be brought back by the move.
    for (const b of batches.slice(0, 2)) {
      for (const t of [cpu, auto]) t.step(b.ids, null, b.go, { optimizer: 'sgd', lr: 0.5 });
    }
    // Adam needs 1 MB of state next to 512 KB of rows: over the 1 MB limit.
    const b = batches[2];
    const weights = Float32Array.from([1, 0.5, 2]);
    const want = cpu.step(b.ids, [0, 1, 2], b.go, { optimizer: 'adam', lr: 0.1, weights });
    const got = await withDeviceLimit(1 << 20, () => auto.stepAsync(b.ids, [0, 1, 2], b.go, { optimizer: 'adam', lr: 0.1, weights }));
    assert.is(auto.device, 'cpu');
    assert.is(got.rowsTouched, want.rowsTouched);
    assertAllClose(got.weightGrads!, want.weightGrads!, 1e-6, 1e-6, 'weightGrads of the step that moved');
    assertAllClose(auto.data(), cpu.data(), 1e-5, 1e-6, 'rows after the move');
    assert.is(auto.optimizerState, 'adam');
    const moved = auto.memoryUsage();
    assert.is(moved.deviceBytes, 0);
    assert.is(moved.totalBytes, moved.tableBytes + moved.optimizerBytes, 'the rows and the state are in host memory again');
    const next = seededFloats(2 * dim, 50);
    for (const t of [cpu, auto]) t.step([5, 8], null, next, { optimizer: 'adam', lr: 0.1 });
    assertAllClose(auto.data(), cpu.data(), 1e-5, 1e-6, 'an Adam step on the CPU after the move');
    for (const t of [cpu, auto]) t.dispose();
  });

  test('device auto: out of device memory in a lookup moves the table with its Adagrad state; on cuda it is ERR_RECKIT_OUT_OF_MEMORY', async () => {
    const rows = 2048, dim = 64;  // rows + Adagrad sums: 1 MB on the device
    const data = seededFloats(rows * dim, 14);
    const cpu = EmbeddingTable.fromArray(rows, dim, data, { device: 'cpu' });
    const auto = EmbeddingTable.fromArray(rows, dim, data);
    const cuda = EmbeddingTable.fromArray(rows, dim, data, { device: 'cuda' });
    const go = seededFloats(4 * dim, 60);
    for (const t of [cpu, auto, cuda]) t.step([3, 9, 3, 100], [0, 2], go.subarray(0, 2 * dim), { optimizer: 'adagrad', lr: 0.2, mode: 'mean' });
    const ids = Uint32Array.from({ length: 3000 }, (_, i) => (i * 37) % rows);  // 750 KB of output
    const limit = (5 << 20) / 4;  // room for the table, not for its output
    try {
      await withDeviceLimit(limit, () => cuda.lookup(ids));
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY', String(e));
    }
    assert.is(cuda.device, 'cuda');
    assertAllClose(cuda.data(), cpu.data(), 1e-5, 1e-6, 'cuda table after the refused lookup');
    cuda.dispose();  // its device memory is not part of the next case
    const offsets = Uint32Array.from({ length: 1500 }, (_, b) => 2 * b);  // 375 KB of output
    const got = await withDeviceLimit(limit, () => auto.lookupBagAsync(ids, offsets, { mode: 'max' }));
    assert.is(auto.device, 'cpu');
    assertAllClose(got, cpu.lookupBag(ids, offsets, { mode: 'max' }), 1e-5, 1e-6, 'the lookup that moved');
    assert.is(auto.optimizerState, 'adagrad');
    for (const t of [cpu, auto]) t.step([3, 7], null, go.subarray(0, 2 * dim), { optimizer: 'adagrad', lr: 0.2 });
    assertAllClose(auto.data(), cpu.data(), 1e-5, 1e-6, 'Adagrad continues on the CPU from the device state');
    for (const t of [cpu, auto]) t.dispose();
  });
}

test.run();
