// Concurrency: many async searches on one CosineIndex while adds and removes land between them; async
// bag lookups and steps on one EmbeddingTable while rows are overwritten; worker_threads that build,
// save and load each other's files while the main thread does the same. Every promise settles, nothing
// crashes, and no result is torn: each is exact for some state the object was in.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex, EmbeddingTable } from '../lib/index';
import { ROOT } from './helpers';
import { values } from './reliability/entry-points';

const DIM = 16;
const BASE = 1500;
const CHURN = 400;
const BASE_VECTORS = values(BASE * DIM, 31);
const CHURN_VECTORS = values(CHURN * DIM, 32);
const QUERIES = values(8 * DIM, 33);

function vectorOf(id: number): Float32Array {
  return id < BASE ? BASE_VECTORS.subarray(id * DIM, (id + 1) * DIM) : CHURN_VECTORS.subarray((id - 10_000) * DIM, (id - 10_000 + 1) * DIM);
}
function dot(q: Float32Array, v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < DIM; i++) s += q[i] * v[i];
  return s;
}

/** A result is exact for some state: known ids, true scores, sorted, and no always-present id missing. */
function checkResult(q: Float32Array, ids: Float64Array, scores: Float32Array, k: number): string | undefined {
  const seen = new Set<number>();
  for (let j = 0; j < k; j++) {
    const id = ids[j];
    if (!(id >= 0 && id < BASE) && !(id >= 10_000 && id < 10_000 + CHURN)) return `unknown id ${id}`;
    if (seen.has(id)) return `duplicate id ${id}`;
    seen.add(id);
    const exact = dot(q, vectorOf(id));
    if (Math.abs(scores[j] - exact) > 1e-4 * (1 + Math.abs(exact))) return `score of ${id} is ${scores[j]}, exact ${exact}`;
    if (j > 0 && scores[j] > scores[j - 1]) return 'not sorted';
  }
  const kth = scores[k - 1];
  for (let id = 0; id < BASE; id++) {
    if (!seen.has(id) && dot(q, vectorOf(id)) > kth + 1e-4) return `base id ${id} beats the k-th score but is missing`;
  }
  return undefined;
}

test('one CosineIndex: 300 async searches with adds and removes in between; every result exact for some state', async () => {
  const index = new CosineIndex({ dim: DIM, metric: 'ip' });
  index.add(Float64Array.from({ length: BASE }, (_, i) => i), BASE_VECTORS);
  const k = 10;
  const pending: Promise<{ q: Float32Array; r: { ids: Float64Array; scores: Float32Array } }>[] = [];
  let present: number[] = [];
  for (let i = 0; i < 300; i++) {
    const q = QUERIES.slice((i % 8) * DIM, (i % 8 + 1) * DIM);
    pending.push(index.search(q, { k }).then((r) => ({ q, r })));
    if (i % 3 === 0) {
      const batch = Array.from({ length: 20 }, (_, j) => 10_000 + ((i * 7 + j * 13) % CHURN)).filter((id, j, a) => a.indexOf(id) === j);
      index.upsert(batch, Float32Array.from(batch.flatMap((id) => Array.from(vectorOf(id)))));
      present = [...new Set([...present, ...batch])];
    } else if (i % 3 === 1 && present.length > 10) {
      index.remove(present.slice(0, 10));
      present = present.slice(10);
    }
    if (i % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const settled = await Promise.allSettled(pending);
  for (const s of settled) {
    assert.is(s.status, 'fulfilled', s.status === 'rejected' ? String(s.reason) : '');
    const { q, r } = (s as PromiseFulfilledResult<{ q: Float32Array; r: { ids: Float64Array; scores: Float32Array } }>).value;
    const problem = checkResult(q, r.ids, r.scores, k);
    assert.is(problem, undefined, problem);
  }
  assert.is(index.size, BASE + present.length);
  index.dispose();
});

test('one EmbeddingTable: async lookups, bag lookups and steps while rows are overwritten; no torn row', async () => {
  const rows = 64, dim = 32;
  const table = EmbeddingTable.fromArray(rows, dim, new Float32Array(rows * dim));
  const reads: Promise<Float32Array>[] = [];
  const steps: Promise<unknown>[] = [];
  for (let i = 0; i < 400; i++) {
    const row = (i * 11) % rows;
    table.set(row, new Float32Array(dim).fill(i)); // every row is constant across dim, whatever its version
    const ids = Uint32Array.from({ length: 8 }, (_, j) => (i + j * 5) % rows);
    reads.push(i % 2 ? table.lookupAsync(ids) : table.lookupBagAsync(ids, Uint32Array.from({ length: 8 }, (_, j) => j), { mode: 'sum' }));
    // An SGD step with a gradient constant across dim keeps rows constant across dim too.
    if (i % 10 === 0) steps.push(table.stepAsync(ids.subarray(0, 2), null, new Float32Array(2 * dim).fill(0.5), { optimizer: 'sgd', lr: 1 }));
    if (i % 40 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const settled = await Promise.allSettled([...reads, ...steps]);
  settled.forEach((s, n) => assert.is(s.status, 'fulfilled', `promise ${n}: ${s.status === 'rejected' ? String(s.reason) : ''}`));
  for (const s of settled.slice(0, reads.length)) {
    const out = (s as PromiseFulfilledResult<Float32Array>).value;
    for (let r = 0; r < out.length / dim; r++) {
      const first = out[r * dim];
      for (let d = 1; d < dim; d++) assert.is(out[r * dim + d], first, `row ${r} of a result is torn`);
    }
  }
  table.dispose();
});

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const r = require(${JSON.stringify(path.join(ROOT, 'dist/lib/index.js'))});
const { me, dim, vectors, queries, dir } = workerData;
(async () => {
  const index = new r.CosineIndex({ dim, storage: me % 2 ? 'i8' : 'f32', rerank: me % 2 === 1 });
  index.add(Array.from({ length: vectors.length / dim }, (_, i) => i * 5 + me), vectors);
  const table = r.EmbeddingTable.fromArray(vectors.length / dim, dim, vectors);
  const searches = await Promise.all(Array.from({ length: 20 }, () => index.search(queries, { k: 7 })));
  await index.saveAsync(dir + '/index-' + me + '.safetensors');
  await table.saveAsync(dir + '/table-' + me + '.safetensors');
  parentPort.postMessage({ saved: me, ids: Array.from(searches[0].ids), same: searches.every((s) => s.ids.join() === searches[0].ids.join()) });
  parentPort.once('message', async (others) => {
    const results = {};
    for (const o of others) {
      const loaded = await r.CosineIndex.loadAsync(dir + '/index-' + o + '.safetensors', { mmap: o % 2 === 0 });
      const t = await r.EmbeddingTable.loadAsync(dir + '/table-' + o + '.safetensors', { mmap: true });
      const bag = await t.lookupBagAsync([0, 1, 2], [0, 1], { mode: 'mean' });
      results[o] = { ids: Array.from((await loaded.search(queries, { k: 7 })).ids), bag: Array.from(bag) };
      loaded.dispose();
      t.dispose();
    }
    index.dispose();
    table.dispose();
    parentPort.postMessage({ results });
  });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

test("worker_threads each build, search and save their own objects, then load each other's files", async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'reckit-concurrency-'));
  const dim = 12;
  const count = 3;
  const queries = values(4 * dim, 40);
  try {
    const workers = Array.from({ length: count }, (_, me) => new Worker(WORKER, { eval: true, workerData: { me, dim, vectors: values(500 * dim, 50 + me), queries, dir } }));
    const next = (w: Worker) => new Promise<any>((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
    // The main thread searches its own index meanwhile.
    const main = new CosineIndex({ dim });
    main.add(Array.from({ length: 500 }, (_, i) => i), values(500 * dim, 60));
    const mainSearches = Promise.all(Array.from({ length: 30 }, () => main.search(queries, { k: 7 })));
    const saved = await Promise.all(workers.map(next));
    for (const s of saved) {
      assert.is(s.error, undefined, s.error);
      assert.ok(s.same, 'concurrent searches in a worker agree');
    }
    const all = Array.from({ length: count }, (_, i) => i);
    const loaded = await Promise.all(workers.map((w, me) => { const p = next(w); w.postMessage(all.filter((o) => o !== me)); return p; }));
    // The main thread loads every file too, at the same time as the workers did.
    const mine = await Promise.all(all.map((o) => CosineIndex.loadAsync(path.join(dir, `index-${o}.safetensors`))));
    for (const [me, l] of loaded.entries()) {
      assert.is(l.error, undefined, l.error);
      for (const o of all.filter((x) => x !== me)) {
        assert.equal(l.results[o].ids, saved[o].ids, `worker ${me} reads worker ${o}'s index as written`);
        const vectors = values(500 * dim, 50 + o);
        // Bags [0] and [1, 2], mean-pooled.
        const expected = Array.from(vectors.subarray(0, dim)).concat(Array.from({ length: dim }, (_, d) => (vectors[dim + d] + vectors[2 * dim + d]) / 2));
        l.results[o].bag.forEach((v: number, i: number) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `worker ${me}: bag of worker ${o}'s table`));
      }
    }
    for (const o of all) assert.equal(Array.from(mine[o].searchSync(queries, { k: 7 }).ids), saved[o].ids);
    const ms = await mainSearches;
    for (const s of ms) assert.equal(Array.from(s.ids), Array.from(ms[0].ids));
    await Promise.all(workers.map((w) => w.terminate()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
