// CosineIndex search against a float64 brute force: every ISA, single and batch paths, metrics, dims,
// k = 1 / k >= N, exact ties in id order (also across threads), exclusions, filters, subarray inputs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex, info, setThreads } from '../lib/index';
import type { Isa } from '../lib/index';
import { assertMatchesReference, randomIds, randomVectors, referenceScores, referenceTopK, rng } from './helpers/topk-reference';

const isas = info().supportedIsas as Isa[];

function build(dim: number, n: number, seed: number, metric: 'cosine' | 'ip', isa?: Isa) {
  const vectors = randomVectors(n, dim, seed);
  const ids = randomIds(n, seed + 1);
  const index = new CosineIndex({ dim, metric, isa });
  index.add(ids, vectors);
  return { index, vectors, ids };
}

for (const isa of isas) {
  for (const [dim, n, nq] of [[1, 50, 3], [7, 300, 2], [16, 1000, 1], [37, 1500, 20], [128, 2000, 40]] as const) {
    for (const metric of ['cosine', 'ip'] as const) {
      test(`${isa} ${metric} dim ${dim}: ${nq} queries match the float64 brute force (k 1, 10, >= N)`, () => {
        const { index, vectors, ids } = build(dim, n, dim * 100 + nq, metric, isa);
        const queries = randomVectors(nq, dim, 7 + dim);
        const scores = referenceScores(vectors, ids, queries, dim, metric);
        for (const k of [1, 10, n + 5]) {
          const r = index.searchSync(queries, { k });
          assert.is(r.ids.length, nq * k);
          assert.is(r.k, k);
          const tol = metric === 'cosine' ? 2e-5 : 2e-5 * dim;
          assertMatchesReference(r, referenceTopK(scores, { metric, k }), scores, k, tol, `${isa} k=${k}`);
        }
        index.dispose();
      });
    }
  }
}

test('single and batch paths agree with each other and with the reference on every ISA', () => {
  const dim = 64, n = 3000;
  const vectors = randomVectors(n, dim, 11);
  const ids = randomIds(n, 12);
  const queries = randomVectors(70, dim, 13);
  const scores = referenceScores(vectors, ids, queries, dim, 'cosine');
  const ref = referenceTopK(scores, { metric: 'cosine', k: 15 });
  for (const isa of isas) {
    const index = new CosineIndex({ dim, isa });
    index.add(ids, vectors);
    const batch = index.searchSync(queries, { k: 15 });
    assertMatchesReference(batch, ref, scores, 15, 2e-5, `${isa} batch`);
    for (let q = 0; q < 70; q += 9) {
      const one = index.searchSync(queries.subarray(q * dim, (q + 1) * dim), { k: 15 });
      assertMatchesReference(one, [ref[q]], [scores[q]], 15, 2e-5, `${isa} single ${q}`);
    }
  }
});

test('exact ties come back in id order, also when the scan is split across threads', () => {
  // 40,000 rows drawn from 4 distinct vectors: every score ties with ~10,000 others.
  const dim = 8, n = 40000;
  const base = randomVectors(4, dim, 21);
  const r = rng(22);
  const vectors = new Float32Array(n * dim);
  const group: number[] = [];
  for (let i = 0; i < n; i++) {
    const g = Math.floor(r() * 4);
    group.push(g);
    vectors.set(base.subarray(g * dim, (g + 1) * dim), i * dim);
  }
  const ids = randomIds(n, 23, 7);
  const queries = randomVectors(10, dim, 24);
  const scores = referenceScores(vectors, ids, queries, dim, 'cosine');
  for (const threads of [1, 2, 3]) {
    setThreads(threads);
    for (const isa of isas) {
      const index = new CosineIndex({ dim, isa });
      index.add(ids, vectors);
      for (const nq of [1, 10]) {
        const q = queries.subarray(0, nq * dim);
        const res = index.searchSync(q, { k: 25 });
        const ref = referenceTopK(scores.slice(0, nq), { metric: 'cosine', k: 25 });
        for (let i = 0; i < nq; i++) {
          assert.equal(Array.from(res.ids.subarray(i * 25, (i + 1) * 25)), ref[i].map((h) => h.id), `${isa} threads ${threads} q ${i}`);
        }
      }
    }
  }
  setThreads(0);
});

test('exclusions (CSR per query) and an allow or deny filter are applied inside the scan', () => {
  const dim = 24, n = 2500;
  const { vectors, ids } = { vectors: randomVectors(n, dim, 31), ids: randomIds(n, 32) };
  const queries = randomVectors(12, dim, 33);
  const scores = referenceScores(vectors, ids, queries, dim, 'cosine');
  const r = rng(34);
  // Each query excludes its own reference top-20 plus random ids and ids not in the index.
  const top = referenceTopK(scores, { metric: 'cosine', k: 20 });
  const excl: number[][] = top.map((hits) => [...hits.map((h) => h.id), ...Array.from({ length: 30 }, () => ids[Math.floor(r() * n)]), 999999999]);
  const offsets = [0];
  for (const e of excl) offsets.push(offsets[offsets.length - 1] + e.length);
  const deny = new Set(ids.filter(() => r() < 0.3));
  const allow = new Set(ids.filter(() => r() < 0.05));
  for (const isa of isas) {
    const index = new CosineIndex({ dim, isa });
    index.add(ids, vectors);
    for (const nq of [1, 3, 12]) {
      const q = queries.subarray(0, nq * dim);
      const sc = scores.slice(0, nq);
      const ex = { ids: excl.slice(0, nq).flat(), offsets: offsets.slice(0, nq + 1) };
      const res1 = index.searchSync(q, { k: 10, exclude: ex });
      assertMatchesReference(res1, referenceTopK(sc, { metric: 'cosine', k: 10, exclude: (i) => new Set(excl[i]) }), sc, 10, 2e-5, `${isa} exclude`);
      const res2 = index.searchSync(q, { k: 10, exclude: ex, filter: { deny: [...deny] } });
      assertMatchesReference(res2, referenceTopK(sc, { metric: 'cosine', k: 10, exclude: (i) => new Set(excl[i]), deny }), sc, 10, 2e-5, `${isa} deny`);
      // The allow-list holds ~125 ids: k = 200 must return exactly the eligible ones, then empty slots.
      const res3 = index.searchSync(q, { k: 200, exclude: ex, filter: { allow: Float64Array.from(allow) } });
      const ref3 = referenceTopK(sc, { metric: 'cosine', k: 200, exclude: (i) => new Set(excl[i]), allow });
      assert.ok(ref3[0].length < 200 && ref3[0].length > 50);
      assertMatchesReference(res3, ref3, sc, 200, 2e-5, `${isa} allow`);
    }
  }
});

test('subarray inputs with a byteOffset are read in place (ids, vectors, queries)', () => {
  const dim = 10, n = 200;
  const vectors = randomVectors(n, dim, 41);
  const ids = randomIds(n, 42);
  const bigVectors = new Float32Array(vectors.length + 3 * dim + 5);
  bigVectors.set(vectors, 3 * dim + 5);
  const bigIds = new Uint32Array(n + 7);
  bigIds.set(ids, 7);
  const index = new CosineIndex({ dim });
  index.add(bigIds.subarray(7), bigVectors.subarray(3 * dim + 5));
  const queries = randomVectors(2, dim, 43);
  const bigQ = new Float32Array(queries.length + 3);
  bigQ.set(queries, 3);
  const scores = referenceScores(vectors, ids, queries, dim, 'cosine');
  assertMatchesReference(index.searchSync(bigQ.subarray(3), { k: 5 }), referenceTopK(scores, { metric: 'cosine', k: 5 }), scores, 5, 2e-5);
});

test('add / upsert / remove / has / get keep search equal to the reference on what remains', () => {
  const dim = 20, n = 1200;
  const vectors = randomVectors(n, dim, 51);
  const ids = randomIds(n, 52);
  for (const isa of isas) {
    const index = new CosineIndex({ dim, metric: 'ip', isa });
    index.add(new Float64Array(ids.slice(0, 800)), vectors.subarray(0, 800 * dim));
    index.upsert(ids.slice(600, n), vectors.subarray(600 * dim));  // 200 replaced (same values), 400 new
    assert.is(index.size, n);
    // Replace 100 vectors with new values, then remove 300 ids.
    const fresh = randomVectors(100, dim, 53);
    const current = Float32Array.from(vectors);
    const replaced = ids.slice(100, 200);
    index.upsert(replaced, fresh);
    current.set(fresh, 100 * dim);
    const removed = new Set(ids.filter((_, i) => i % 4 === 1));
    index.remove([...removed]);
    assert.is(index.size, n - removed.size);
    const keepRows = ids.map((id, r) => [id, r] as const).filter(([id]) => !removed.has(id));
    const keptIds = keepRows.map(([id]) => id);
    const keptVectors = new Float32Array(keepRows.length * dim);
    keepRows.forEach(([, r], i) => keptVectors.set(current.subarray(r * dim, (r + 1) * dim), i * dim));
    for (const [id, r] of keepRows.slice(0, 50)) {
      assert.ok(index.has(id));
      assert.equal(Array.from(index.get(id) as Float32Array), Array.from(current.subarray(r * dim, (r + 1) * dim)));
    }
    for (const id of [...removed].slice(0, 20)) {
      assert.not.ok(index.has(id));
      assert.is(index.get(id), undefined);
    }
    const queries = randomVectors(9, dim, 54);
    const scores = referenceScores(keptVectors, keptIds, queries, dim, 'ip');
    assertMatchesReference(index.searchSync(queries, { k: 12 }), referenceTopK(scores, { metric: 'ip', k: 12 }), scores, 12, 1e-4, isa);
  }
});

test('cosine normalizes on insert: get returns the unit vector and scores are cosines', () => {
  const index = new CosineIndex({ dim: 3 });
  index.add([10], new Float32Array([3, 0, 4]));
  assert.equal(Array.from(index.get(10) as Float32Array), [Math.fround(0.6), 0, Math.fround(0.8)]);
  const r = index.searchSync(new Float32Array([0, 0, 2]), { k: 1 });
  assert.is(r.ids[0], 10);
  assert.ok(Math.abs(r.scores[0] - 0.8) < 1e-6);
});

test('bigint ids above 2^53 round-trip with { bigint: true } and are refused as numbers', () => {
  const index = new CosineIndex({ dim: 2, metric: 'ip' });
  const big = (1n << 62n) + 5n;
  index.add(new BigUint64Array([big, 3n]), new Float32Array([1, 0, 0, 1]));
  assert.ok(index.has(big));
  const r = index.searchSync(new Float32Array([1, 0.5]), { k: 3, bigint: true });
  assert.equal(Array.from(r.ids), [big, 3n, -1n]);
  assert.throws(() => index.searchSync(new Float32Array([1, 0.5]), { k: 2 }), (e: Error & { code: string }) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
});

test('async search equals sync, runs concurrently, and keeps its inputs alive', async () => {
  const dim = 32, n = 5000;
  const { index } = build(dim, n, 61, 'cosine');
  const queries = randomVectors(20, dim, 62);
  const sync = index.searchSync(queries, { k: 7 });
  const results = await Promise.all([1, 2, 3, 4].map(() => index.search(Float32Array.from(queries), { k: 7 })));
  for (const r of results) {
    assert.equal(Array.from(r.ids), Array.from(sync.ids));
    assert.equal(Array.from(r.scores), Array.from(sync.scores));
  }
  // A write queued while searches run waits for them; the searches see the old or new state, never a mix.
  const pending = index.search(queries, { k: 7 });
  index.add([123456789], randomVectors(1, dim, 63));
  const after = await pending;
  assert.is(after.ids.length, 140);
  assert.is(index.size, n + 1);
});

test('searches in flight while upserts land see the whole old or the whole new index, never a mix', async () => {
  // Two states alternate: the original rows, and six of them moved onto (10x) the queries, which changes
  // every query's top-1. Every search, whenever it ran relative to the upserts, must equal one state's answer
  // exactly (ids and scores); a search that saw a half-written row or half of the upserted rows would not.
  const dim = 24, n = 40_000;  // two compute-pool tasks per query scan
  const { index, vectors, ids } = build(dim, n, 81, 'ip');
  const queries = randomVectors(6, dim, 82);
  const movedIds = ids.slice(0, 6);
  const original = vectors.slice(0, 6 * dim);
  const moved = queries.map((v) => v * 10);
  const answer = (r: { ids: Float64Array; scores: Float32Array }) => JSON.stringify([Array.from(r.ids), Array.from(r.scores)]);
  const before = answer(index.searchSync(queries, { k: 5 }));
  index.upsert(movedIds, moved);
  const after = answer(index.searchSync(queries, { k: 5 }));
  assert.is.not(after, before);
  const pending: Promise<string>[] = [];
  for (let round = 0; round < 12; round++) {
    for (let i = 0; i < 3; i++) pending.push(index.search(queries, { k: 5 }).then(answer));
    index.upsert(movedIds, round % 2 === 0 ? original : moved);
  }
  const seen = await Promise.all(pending);
  for (const [i, got] of seen.entries()) assert.ok(got === before || got === after, `search ${i} saw a mixed index`);
  assert.is(index.size, n);
});

test.run();
