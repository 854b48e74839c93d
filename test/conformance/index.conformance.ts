// The device-resident CosineIndex (device: 'cuda', native/cuda/index.cu) against the same index on the CPU,
// through the public API: every storage dtype and metric, with and without rerank. Ids must be equal position
// by position (ties in id order included); scores within 1e-5 relative + 1e-5 absolute (the device sums in
// another order), and bit for bit with rerank (the candidates are recomputed in f32 on the host, as on the CPU).
// Edges: k > rows, k = 256 (the device limit) and above it (CPU fallback), dim and row tails, forced short
// slices (RECKIT_CUDA_TEST_SLICE_ROWS) so the merge runs, exclusions that remove every row, empty and partial
// allow-lists, deny-lists, exact ties, updates between searches (the lazy re-upload), device out-of-memory.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex } from '../../lib/index';
import type { Exclusions, SearchOptions, Storage } from '../../lib/cosine-index';
import { seededFloats } from '../helpers';
import { assertAllClose, requireCudaBackend } from './cuda-backend';

const { backend } = requireCudaBackend();

interface Combo {
  storage: Storage;
  metric: 'cosine' | 'ip';
  rerank: boolean;
}
const COMBOS: Combo[] = [];
for (const storage of ['f32', 'bf16', 'f16', 'i8'] as const) {
  for (const metric of ['cosine', 'ip'] as const) {
    for (const rerank of storage === 'f32' ? [false] : [false, true]) COMBOS.push({ storage, metric, rerank });
  }
}

interface Scenario {
  rows: number;
  dim: number;
  n: number;
  k: number;
  slice?: number;        // forced slice rows on the device
  duplicates?: boolean;  // every vector twice under different ids: exact ties
  options?: (ids: number[], n: number) => Omit<SearchOptions, 'k'>;
  note: string;
}

// Query i excludes `count(i)` ids taken from the start of `ids`.
function excludeFirst(ids: number[], n: number, count: (i: number) => number): Exclusions {
  const flat: number[] = [];
  const offsets = [0];
  for (let i = 0; i < n; i++) {
    flat.push(...ids.slice(0, count(i)));
    offsets.push(flat.length);
  }
  return { ids: flat, offsets };
}

const SCENARIOS: Scenario[] = [
  { rows: 300, dim: 20, n: 5, k: 10, note: 'plain' },
  { rows: 7, dim: 3, n: 2, k: 12, note: 'k > rows' },
  { rows: 130, dim: 65, n: 9, k: 17, slice: 32, note: 'dim tail, 5 slices (the last of 2 rows), 2 query blocks' },
  {
    rows: 200, dim: 12, n: 4, k: 15, slice: 48, note: 'exclusions and a deny-list inside the scan',
    options: (ids, n) => ({ exclude: excludeFirst(ids, n, (i) => 3 * i), filter: { deny: ids.slice(100, 180) } }),
  },
  {
    rows: 40, dim: 8, n: 3, k: 5, note: 'one query excludes every row, another all but 2',
    options: (ids, n) => ({ exclude: excludeFirst(ids, n, (i) => [0, 40, 38][i]) }),
  },
  { rows: 50, dim: 6, n: 2, k: 4, note: 'an empty allow-list', options: () => ({ filter: { allow: [] } }) },
  {
    rows: 90, dim: 6, n: 3, k: 8, slice: 32, note: 'an allow-list of 5 ids (and unknown ones) across slices',
    options: (ids) => ({ filter: { allow: [ids[3], ids[40], ids[41], ids[70], ids[89], 999999, 123456] } }),
  },
  { rows: 64, dim: 4, n: 4, k: 20, slice: 16, duplicates: true, note: 'duplicated vectors: ties by id' },
  { rows: 300, dim: 9, n: 2, k: 256, note: 'k = 256, the device limit' },
  { rows: 300, dim: 9, n: 2, k: 270, note: 'k above the device limit: the CPU runs it' },
];

function build(c: Combo, s: Scenario, seed: number): { cpu: CosineIndex; gpu: CosineIndex; ids: number[]; queries: Float32Array } {
  const unique = s.duplicates ? s.rows / 2 : s.rows;
  const base = seededFloats(unique * s.dim, seed);
  const vectors = new Float32Array(s.rows * s.dim);
  for (let r = 0; r < s.rows; r++) vectors.set(base.subarray((r % unique) * s.dim, (r % unique + 1) * s.dim), r * s.dim);
  // Ids not in row order, so a tie-break by row number instead of id would show.
  const ids = Array.from({ length: s.rows }, (_, r) => (r * 7919) % (s.rows * 13) + 1);
  const cpu = new CosineIndex({ dim: s.dim, metric: c.metric, storage: c.storage, rerank: c.rerank, device: 'cpu' });
  const gpu = new CosineIndex({ dim: s.dim, metric: c.metric, storage: c.storage, rerank: c.rerank, device: 'cuda' });
  cpu.add(ids, vectors);
  gpu.add(ids, vectors);
  return { cpu, gpu, ids, queries: seededFloats(s.n * s.dim, seed + 1) };
}

function assertSame(c: Combo, gpu: { ids: Float64Array; scores: Float32Array }, cpu: { ids: Float64Array; scores: Float32Array }) {
  assert.equal(Array.from(gpu.ids), Array.from(cpu.ids), 'ids, best first');
  if (c.rerank) assert.equal(Array.from(gpu.scores), Array.from(cpu.scores), 'scores (reranked in f32: exact)');
  else assertAllClose(gpu.scores, cpu.scores, 1e-5, 1e-5, 'scores');
}

function withSlices<T>(slice: number | undefined, body: () => T): T {
  if (slice) process.env.RECKIT_CUDA_TEST_SLICE_ROWS = String(slice);
  try {
    return body();
  } finally {
    delete process.env.RECKIT_CUDA_TEST_SLICE_ROWS;
  }
}

for (const c of COMBOS) {
  const name = `${c.storage}${c.rerank ? '+rerank' : ''} ${c.metric}`;
  for (const s of SCENARIOS) {
    test(`index ${name} rows=${s.rows} dim=${s.dim} n=${s.n} k=${s.k}: ${s.note}`, () => {
      const { cpu, gpu, ids, queries } = build(c, s, s.rows * 31 + s.dim);
      const options = { k: s.k, ...(s.options ? s.options(ids, s.n) : {}) };
      assert.is(gpu.device, 'cuda');
      const expected = cpu.searchSync(queries, options);
      const actual = withSlices(s.slice, () => gpu.searchSync(queries, options));
      assertSame(c, actual, expected);
      if (s.k <= 256) assert.ok(gpu.memoryUsage().device > 0, 'the rows live on the device');
      cpu.dispose();
      gpu.dispose();
    });
  }

  test(`index ${name}: add/upsert/remove between searches re-upload the rows; async search`, async () => {
    const s: Scenario = { rows: 120, dim: 10, n: 3, k: 9, note: '' };
    const { cpu, gpu, ids, queries } = build(c, s, 77);
    assertSame(c, gpu.searchSync(queries, { k: s.k }), cpu.searchSync(queries, { k: s.k }));
    const before = gpu.memoryUsage().device;
    // The best hits of the first search move away, disappear or get company.
    const first = gpu.searchSync(queries, { k: 3 }).ids;
    const moved = seededFloats(3 * s.dim, 5);
    for (const index of [cpu, gpu]) {
      index.upsert([first[0], 5000, 5001], moved);
      index.remove([first[1], ids[0]]);
      index.add([6000], queries.subarray(0, s.dim));  // the first query itself: its best hit
    }
    const expected = cpu.searchSync(queries, { k: s.k });
    if (c.metric === 'cosine') assert.is(expected.ids[0], 6000);
    assertSame(c, await gpu.search(queries, { k: s.k }), expected);
    assert.is(gpu.memoryUsage().device > before, true, 'the new copy holds the added rows');
    cpu.dispose();
    gpu.dispose();
  });
}

if (backend === 'emulated') {
  test('index: device out-of-memory is ERR_RECKIT_OUT_OF_MEMORY; the index moves to the CPU and keeps working', () => {
    const s: Scenario = { rows: 500, dim: 16, n: 2, k: 5, note: '' };
    const c: Combo = { storage: 'f32', metric: 'cosine', rerank: false };
    const { cpu, gpu, queries } = build(c, s, 11);
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = '4096';
    try {
      gpu.searchSync(queries, { k: s.k });
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY');
      assert.match(String(e), /index rows/);
      assert.match(String(e), /now runs on the CPU/);
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
    assert.is(gpu.device, 'cpu');
    assert.is(gpu.memoryUsage().device, 0);
    assertSame(c, gpu.searchSync(queries, { k: s.k }), cpu.searchSync(queries, { k: s.k }));
    cpu.dispose();
    gpu.dispose();
  });
  test('index: out of device memory in a search after the upload (the search buffers) is the same error, async too', async () => {
    const s: Scenario = { rows: 300, dim: 16, n: 4, k: 6, note: '' };
    const c: Combo = { storage: 'bf16', metric: 'ip', rerank: true };
    const { cpu, gpu, queries } = build(c, s, 12);
    const expected = cpu.searchSync(queries, { k: s.k });
    assertSame(c, gpu.searchSync(queries, { k: s.k }), expected);
    // Room for the uploaded rows and not much more: the per-search buffers cannot be allocated.
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = String(gpu.memoryUsage().device + 64);
    let error: { code?: string } | undefined;
    try {
      await gpu.search(queries, { k: s.k });
    } catch (e) {
      error = e as { code?: string };
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
    assert.is(error?.code, 'ERR_RECKIT_OUT_OF_MEMORY');
    assert.is(gpu.device, 'cpu');
    assertSame(c, await gpu.search(queries, { k: s.k }), expected);
    cpu.dispose();
    gpu.dispose();
  });
}

test.run();
