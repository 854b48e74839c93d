// CosineIndex's `device` option. Without a CUDA library (the default build): `cuda` throws ERR_RECKIT_NO_DEVICE
// with info().cuda.reason, `auto` quietly runs on the CPU. With one (RECKIT_CUDA_LIBRARY, e.g. the emulated build
// under `npm run test:emulated`): every way to make an index takes the device, searches (sync and async) run
// there and equal the CPU's, bad input gives the CPU path's errors. The value-level comparison of every dtype
// and edge case is test/conformance/index.conformance.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CosineIndex, EmbeddingTable, info } from '../lib/index';
import { seededFloats } from './helpers';

type Coded = Error & { code: string };
const cuda = info().cuda;
const dim = 12;

function caught(fn: () => unknown): Coded {
  try {
    fn();
  } catch (e) {
    return e as Coded;
  }
  throw new Error('expected an error');
}

test('device: an unknown device name is ERR_RECKIT_INVALID_ARG everywhere', () => {
  const bad = { device: 'gpu' } as unknown as { device: 'cpu' };
  for (const fn of [
    () => new CosineIndex({ dim, ...bad }),
    () => CosineIndex.fromBuffer(new CosineIndex({ dim, device: 'cpu' }).toBuffer(), bad),
    () => CosineIndex.fromTable(new EmbeddingTable({ rows: 2, dim }), bad),
  ]) {
    const e = caught(fn);
    assert.ok(e instanceof TypeError);
    assert.is(e.code, 'ERR_RECKIT_INVALID_ARG');
  }
});

test("device: 'cpu' is the CPU", () => {
  const index = new CosineIndex({ dim, device: 'cpu' });
  assert.is(index.device, 'cpu');
  assert.is(index.memoryUsage().device, 0);
  index.dispose();
});

if (!cuda.available) {
  console.log(`cosine-index-device: the CUDA device cases are skipped (no usable CUDA library: ${cuda.reason}); ` +
    'npm run test:emulated runs them on the emulated build');

  test("device: 'cuda' without CUDA is ERR_RECKIT_NO_DEVICE with the reason; 'auto' is the CPU", () => {
    const e = caught(() => new CosineIndex({ dim, device: 'cuda' }));
    assert.is(e.code, 'ERR_RECKIT_NO_DEVICE');
    assert.ok(e.message.includes(cuda.reason!), e.message);
    const saved = new CosineIndex({ dim, device: 'cpu' }).toBuffer();
    assert.is(caught(() => CosineIndex.fromBuffer(saved, { device: 'cuda' })).code, 'ERR_RECKIT_NO_DEVICE');
    assert.is(new CosineIndex({ dim }).device, 'cpu');
    assert.is(new CosineIndex({ dim, device: 'auto' }).device, 'cpu');
  });
} else {
  const rows = 400, n = 10, k = 7;
  const vectors = seededFloats(rows * dim, 3);
  const ids = Array.from({ length: rows }, (_, r) => 1000 + ((r * 131) % rows));
  const queries = seededFloats(n * dim, 4);

  function pair(storage: 'f32' | 'i8' = 'f32') {
    const cpu = new CosineIndex({ dim, storage, rerank: storage !== 'f32', device: 'cpu' });
    const gpu = new CosineIndex({ dim, storage, rerank: storage !== 'f32', device: 'cuda' });
    cpu.add(ids, vectors);
    gpu.add(ids, vectors);
    return { cpu, gpu };
  }

  test("device: 'cuda' and 'auto' run on the device; search and searchSync equal the CPU", async () => {
    const { cpu, gpu } = pair('i8');
    assert.is(gpu.device, 'cuda');
    assert.is(new CosineIndex({ dim }).device, 'cuda', "'auto' picks the device");
    const options = { k, exclude: { ids: [ids[0], ids[1]], offsets: [0, 2, ...new Array(n - 1).fill(2)] }, filter: { deny: ids.slice(5, 30) } };
    const expected = cpu.searchSync(queries, options);
    const sync = gpu.searchSync(queries, options);
    const async = await gpu.search(queries, options);
    for (const got of [sync, async]) {
      assert.equal(Array.from(got.ids), Array.from(expected.ids));
      assert.equal(Array.from(got.scores), Array.from(expected.scores), 'reranked in f32: the same scores');
      assert.is(got.k, k);
    }
    const big = gpu.searchSync(queries, { k, bigint: true });
    assert.equal(Array.from(big.ids), Array.from(cpu.searchSync(queries, { k, bigint: true }).ids));
    assert.ok(gpu.memoryUsage().device >= rows * dim, 'the i8 rows are on the device');
  });

  test('device: concurrent async searches on one device index all equal the CPU', async () => {
    const { cpu, gpu } = pair();
    const expected = cpu.searchSync(queries, { k });
    const results = await Promise.all(Array.from({ length: 6 }, () => gpu.search(queries, { k })));
    for (const r of results) assert.equal(Array.from(r.ids), Array.from(expected.ids));
  });

  test('device: async searches racing with upserts each see one whole state (before or after), never a mix', async () => {
    const { cpu, gpu } = pair();
    // Each upsert moves one id onto the first query, so it becomes that query's best hit.
    const states = [cpu.searchSync(queries, { k })];
    const moves = [ids[10], ids[20], ids[30]];
    const pending: Promise<{ ids: Float64Array }>[] = [];
    for (const id of moves) {
      pending.push(gpu.search(queries, { k }), gpu.search(queries, { k }));
      gpu.upsert([id], queries.subarray(0, dim));
      cpu.upsert([id], queries.subarray(0, dim));
      states.push(cpu.searchSync(queries, { k }));
    }
    pending.push(gpu.search(queries, { k }));
    const seen = new Set<number>();
    for (const r of await Promise.all(pending)) {
      const match = states.findIndex((s) => Array.from(s.ids).join() === Array.from(r.ids).join());
      assert.ok(match >= 0, 'a search result equals the CPU result of some whole state');
      seen.add(match);
    }
    assert.ok(seen.has(states.length - 1), 'the last search sees the last upsert (the copy was refreshed)');
    assert.equal(Array.from(gpu.searchSync(queries, { k }).ids), Array.from(states[states.length - 1].ids));
  });

  test('device: load, loadAsync, fromBuffer, fromTable and fromTableAsync take the device', async () => {
    const { cpu } = pair();
    const expected = cpu.searchSync(queries, { k });
    const dir = mkdtempSync(join(tmpdir(), 'reckit-device-'));
    try {
      const path = join(dir, 'index.st');
      cpu.save(path);
      const table = new EmbeddingTable({ rows, dim });
      const tableIndexCpu = CosineIndex.fromTable(table, { ids, device: 'cpu' });
      const made = [
        CosineIndex.load(path, { device: 'cuda' }),
        CosineIndex.load(path, { mmap: true, device: 'cuda' }),
        await CosineIndex.loadAsync(path, { device: 'cuda' }),
        CosineIndex.fromBuffer(cpu.toBuffer(), { device: 'cuda' }),
      ];
      for (const index of made) {
        assert.is(index.device, 'cuda');
        assert.equal(Array.from(index.searchSync(queries, { k }).ids), Array.from(expected.ids));
      }
      for (const index of [CosineIndex.fromTable(table, { ids, device: 'cuda' }), await CosineIndex.fromTableAsync(table, { ids, device: 'cuda' })]) {
        assert.is(index.device, 'cuda');
        assert.equal(Array.from(index.searchSync(queries, { k }).ids), Array.from(tableIndexCpu.searchSync(queries, { k }).ids));
      }
      assert.is(CosineIndex.load(path, { device: 'cpu' }).device, 'cpu');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('device: bad search input gives the same errors as on the CPU, and the index is unchanged', async () => {
    const { cpu, gpu } = pair();
    const before = gpu.searchSync(queries, { k });
    const cases: [string, () => unknown][] = [
      ['k 0', () => ({ q: queries, o: { k: 0 } })],
      ['queries not Float32Array', () => ({ q: [1, 2], o: { k } })],
      ['queries length', () => ({ q: new Float32Array(dim + 1), o: { k } })],
      ['NaN query', () => ({ q: new Float32Array(dim).fill(NaN), o: { k } })],
      ['zero query (cosine)', () => ({ q: new Float32Array(dim), o: { k } })],
      ['offsets length', () => ({ q: queries, o: { k, exclude: { ids: [1], offsets: [0, 1] } } })],
      ['filter with both', () => ({ q: queries, o: { k, filter: { allow: [1], deny: [2] } } })],
    ];
    for (const [label, make] of cases) {
      const { q, o } = make() as { q: Float32Array; o: { k: number } };
      const expected = caught(() => cpu.searchSync(q, o));
      const got = caught(() => gpu.searchSync(q, o));
      assert.is(got.code, expected.code, label);
      assert.is(got.constructor, expected.constructor, label);
      assert.is(got.message, expected.message, label);
      const rejected = await gpu.search(q, o).then(() => undefined, (e: Coded) => e);
      assert.is(rejected?.code, expected.code, `${label} (async)`);
    }
    assert.is(gpu.device, 'cuda', 'bad input does not move the index off the device');
    assert.equal(Array.from(gpu.searchSync(queries, { k }).ids), Array.from(before.ids));
  });

  test('device: dispose frees the device copy; use after dispose is ERR_RECKIT_DISPOSED', () => {
    const { gpu } = pair();
    gpu.searchSync(queries, { k });
    assert.ok(gpu.memoryUsage().device > 0);
    gpu.dispose();
    assert.is(gpu.memoryUsage().device, 0);
    assert.is(caught(() => gpu.searchSync(queries, { k })).code, 'ERR_RECKIT_DISPOSED');
  });
}

test.run();
