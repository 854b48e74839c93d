// Top-k on the CUDA backend against the CPU CosineIndex (f32): ids equal position by position (ties in id
// order included), scores within 1e-5 relative + 1e-5 absolute (the GPU sums in another order).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex } from '../../lib/index';
import { seededFloats } from '../helpers';
import { assertAllClose, cuda, requireCudaBackend } from './cuda-backend';

const { backend } = requireCudaBackend();

interface Case {
  rows: number;
  dim: number;
  n: number;
  k: number;
  sliceRows: number;  // 0: the library's choice; small values force many slices and the merge
  metric: 'cosine' | 'ip';
  duplicates?: boolean;  // every vector twice under different ids: exact ties
  bigIds?: boolean;      // ids above 2^53
  note: string;
}

const CASES: Case[] = [
  { rows: 1, dim: 3, n: 1, k: 5, sliceRows: 0, metric: 'ip', note: 'k > rows' },
  { rows: 31, dim: 64, n: 8, k: 31, sliceRows: 0, metric: 'ip', note: 'one partial tile, k = rows' },
  { rows: 33, dim: 65, n: 9, k: 10, sliceRows: 32, metric: 'ip', note: 'dim and row tails, a 1-row slice' },
  { rows: 200, dim: 1, n: 3, k: 7, sliceRows: 48, metric: 'cosine', note: 'dim 1 cosine: scores ±1, ties by id' },
  { rows: 500, dim: 130, n: 17, k: 50, sliceRows: 64, metric: 'cosine', note: '8 slices, 3 query blocks' },
  { rows: 300, dim: 17, n: 5, k: 256, sliceRows: 0, metric: 'ip', note: 'largest k' },
  { rows: 120, dim: 8, n: 11, k: 20, sliceRows: 40, metric: 'ip', duplicates: true, note: 'duplicated vectors' },
  { rows: 70, dim: 5, n: 2, k: 100, sliceRows: 32, metric: 'cosine', bigIds: true, note: 'k > rows, ids > 2^53' },
];

function normalized(v: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let r = 0; r < v.length / dim; r++) {
    let s = 0;
    for (let i = 0; i < dim; i++) s += v[r * dim + i] * v[r * dim + i];
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < dim; i++) out[r * dim + i] = v[r * dim + i] * inv;
  }
  return out;
}

function runCase(c: Case, seed: number) {
  const unique = c.duplicates ? c.rows / 2 : c.rows;
  const base = seededFloats(unique * c.dim, seed);
  const vectors = new Float32Array(c.rows * c.dim);
  for (let r = 0; r < c.rows; r++) vectors.set(base.subarray((r % unique) * c.dim, (r % unique + 1) * c.dim), r * c.dim);
  // Ids not in row order, so a tie-break by row number instead of id would show.
  const ids = new BigUint64Array(c.rows);
  for (let r = 0; r < c.rows; r++) ids[r] = BigInt((r * 7919) % (c.rows * 13) + 1) + (c.bigIds ? 2n ** 60n : 0n);
  const queries = seededFloats(c.n * c.dim, seed + 1);
  const index = new CosineIndex({ dim: c.dim, metric: c.metric });
  index.add(ids, vectors);
  const cpu = index.searchSync(queries, { k: c.k, bigint: true });
  // The device scans what the index stores (normalized rows for cosine) with the queries prepared as the CPU does.
  const matrix = new Float32Array(c.rows * c.dim);
  for (let r = 0; r < c.rows; r++) matrix.set(index.get(ids[r])!, r * c.dim);
  const q = c.metric === 'cosine' ? normalized(queries, c.dim) : queries;
  const gpu = cuda.topk(matrix, c.rows, c.dim, ids, q, c.n, c.k, c.sliceRows);
  index.dispose();
  return { cpu, gpu };
}

for (const c of CASES) {
  test(`topk f32 ${c.metric} rows=${c.rows} dim=${c.dim} n=${c.n} k=${c.k} slice=${c.sliceRows}: ${c.note}`, () => {
    const { cpu, gpu } = runCase(c, c.rows * 31 + c.dim);
    assert.equal(Array.from(gpu.ids), Array.from(cpu.ids), 'ids, best first');
    assertAllClose(gpu.scores, cpu.scores, 1e-5, 1e-5, 'scores');
  });
}

test('topk: a k above the library limit is refused with a RangeError code', () => {
  const m = new Float32Array(4);
  try {
    cuda.topk(m, 2, 2, new BigUint64Array([1n, 2n]), new Float32Array(2), 1, 100000);
    assert.unreachable('should throw');
  } catch (e) {
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_RANGE');
  }
});

if (backend === 'emulated') {
  test('topk: device out-of-memory is ERR_RECKIT_OUT_OF_MEMORY, not a crash, and the next call works (emulated memory limit)', () => {
    process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT = '4096';
    try {
      const rows = 1000, dim = 8;
      cuda.topk(new Float32Array(rows * dim), rows, dim, new BigUint64Array(rows).map((_, i) => BigInt(i)),
        new Float32Array(dim), 1, 5);
      assert.unreachable('should throw');
    } catch (e) {
      assert.is((e as { code?: string }).code, 'ERR_RECKIT_OUT_OF_MEMORY');
      assert.match(String(e), /index rows/);  // the message names the allocation that failed
    } finally {
      delete process.env.RECKIT_CUDA_EMU_MEMORY_LIMIT;
    }
    // The failed allocation must not linger as the runtime's last error and fail the next call.
    const ok = cuda.topk(new Float32Array([1, 0, 0, 1]), 2, 2, new BigUint64Array([5n, 6n]), new Float32Array([0, 1]), 1, 1);
    assert.equal(Array.from(ok.ids), [6n]);
  });
}

test.run();
