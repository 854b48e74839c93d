// CosineIndex.fromTable: an index over an EmbeddingTable's rows read natively in place. Results must equal
// an index built from a JS copy of the rows (same ids, order, scores) and a float64 brute force; bad input
// raises codes and a disposed table is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex, EmbeddingTable, Rng } from '../lib/index';

const code = (c: string) => (e: any) => e?.code === c;

function randomTable(rows: number, dim: number, seed: number): EmbeddingTable {
  const rng = new Rng(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() * 2 - 1;
  return EmbeddingTable.fromArray(rows, dim, data);
}

function bruteCosine(data: Float32Array, dim: number, q: Float32Array, ids: number[], k: number): number[] {
  const norm = (v: ArrayLike<number>, o: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[o + d] * v[o + d];
    return Math.sqrt(s);
  };
  const nq = norm(q, 0);
  const scored = ids.map((id, r) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += q[d] * data[r * dim + d];
    return { id, s: s / (nq * norm(data, r * dim)) };
  });
  scored.sort((a, b) => b.s - a.s || a.id - b.id);
  return scored.slice(0, k).map((x) => x.id);
}

test('fromTable equals an index built from a copy of the rows, and a float64 brute force', async () => {
  const table = randomTable(300, 24, 1);
  const ids = Array.from({ length: 300 }, (_, r) => 10_000 + 7 * r);
  const fromTable = CosineIndex.fromTable(table, { ids });
  const copy = new CosineIndex({ dim: 24 });
  copy.add(ids, table.data());
  assert.is(fromTable.size, 300);
  assert.is(fromTable.dim, 24);
  const queries = randomTable(5, 24, 2).data();
  const a = fromTable.searchSync(queries, { k: 10 });
  const b = copy.searchSync(queries, { k: 10 });
  assert.equal(Array.from(a.ids), Array.from(b.ids));
  assert.equal(Array.from(a.scores), Array.from(b.scores));
  for (let q = 0; q < 5; q++) {
    assert.equal(Array.from(a.ids.subarray(q * 10, q * 10 + 10)), bruteCosine(table.data(), 24, queries.subarray(q * 24, q * 24 + 24), ids, 10));
  }
  const asyncIndex = await CosineIndex.fromTableAsync(table, { ids: Float64Array.from(ids) });
  assert.equal(Array.from((await asyncIndex.search(queries, { k: 10 })).ids), Array.from(a.ids));
});

test('fromTable: default ids are the row numbers; ip metric and reduced storage pass through; later table writes do not reach the index', () => {
  const table = randomTable(50, 8, 3);
  const index = CosineIndex.fromTable(table, { metric: 'ip', storage: 'bf16', rerank: true });
  assert.is(index.metric, 'ip');
  assert.is(index.storage, 'bf16');
  assert.ok(index.has(0) && index.has(49) && !index.has(50));
  const row = table.get(7);
  const r = index.searchSync(row, { k: 1 });
  let best = -Infinity;
  let bestId = -1;
  for (let i = 0; i < 50; i++) {
    const v = table.get(i);
    let s = 0;
    for (let d = 0; d < 8; d++) s += row[d] * v[d];
    if (s > best) [best, bestId] = [s, i];
  }
  assert.is(r.ids[0], bestId);
  const before = index.get(3)!;
  table.set(3, new Float32Array(8).fill(1));
  assert.equal(Array.from(index.get(3)!), Array.from(before));
});

test('fromTable: bad input raises codes', async () => {
  const table = randomTable(10, 4, 4);
  assert.throws(() => CosineIndex.fromTable({} as any), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => CosineIndex.fromTable(table, { ids: [1, 2, 3] }), code('ERR_RECKIT_DIM_MISMATCH'));
  assert.throws(() => CosineIndex.fromTable(table, { ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 8] }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => CosineIndex.fromTable(table, { metric: 'l2' as any }), code('ERR_RECKIT_INVALID_ARG'));
  const zero = EmbeddingTable.fromArray(2, 4, new Float32Array(8));
  assert.throws(() => CosineIndex.fromTable(zero), (e: any) => typeof e.code === 'string');
  await CosineIndex.fromTableAsync(table, { ids: [1] }).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_DIM_MISMATCH'));
  table.dispose();
  assert.throws(() => CosineIndex.fromTable(table), code('ERR_RECKIT_DISPOSED'));
});

test.run();
