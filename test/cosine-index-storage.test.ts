// Reduced storage (bf16, f16, i8): scores within each format's error of the float64 reference, memory
// cut as promised, and with rerank the very ids, order and scores of the f32 index (the provable margin).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex, info } from '../lib/index';
import type { Isa, Storage } from '../lib/index';
import { assertMatchesReference, randomIds, randomVectors, referenceScores, referenceTopK, rng } from './helpers/topk-reference';

const isas = info().supportedIsas as Isa[];
const reduced: Storage[] = ['bf16', 'f16', 'i8'];
// Worst-case score error of each format for unit vectors (|q.(x - x~)| bounds, see cosine_index.h).
const tolerance: Record<Storage, (dim: number) => number> = {
  f32: () => 2e-5,
  bf16: () => 2 ** -8 + 1e-5,
  f16: () => 2 ** -11 + 1e-5,
  i8: (dim) => Math.sqrt(dim) / 254 + 1e-5,
};

for (const isa of isas) {
  for (const storage of reduced) {
    for (const metric of ['cosine', 'ip'] as const) {
      test(`${isa} ${storage} ${metric}: scores within the format's bound of the float64 reference`, () => {
        const dim = 48, n = 1500;
        const vectors = randomVectors(n, dim, 101);
        const ids = randomIds(n, 102);
        const index = new CosineIndex({ dim, metric, storage, isa });
        index.add(ids, vectors);
        const queries = randomVectors(11, dim, 103);
        const scores = referenceScores(vectors, ids, queries, dim, metric);
        // ip scores scale with |q| |x| (up to dim / 3 for uniform [-1, 1) data).
        const tol = tolerance[storage](dim) * (metric === 'ip' ? dim / 2 : 1);
        for (const nq of [1, 11]) {
          const r = index.searchSync(queries.subarray(0, nq * dim), { k: 10 });
          assertMatchesReference(r, referenceTopK(scores.slice(0, nq), { metric, k: 10 }), scores.slice(0, nq), 10, tol, `${isa} ${storage}`);
        }
        // get() decodes the stored vector: each element within the format's rounding of the original.
        const back = index.get(ids[3]) as Float32Array;
        const orig = vectors.subarray(3 * dim, 4 * dim);
        const norm = metric === 'cosine' ? Math.hypot(...orig) : 1;
        for (let i = 0; i < dim; i++) assert.ok(Math.abs(back[i] - orig[i] / norm) <= tolerance[storage](1) * 1.01, `element ${i}`);
      });
    }

    test(`${isa} ${storage} + rerank returns exactly the f32 index's ids, order and scores`, () => {
      // Clustered data makes many near-ties, where the reduced scores alone would reorder results.
      const dim = 40, n = 6000;
      const r = rng(111);
      const centers = randomVectors(30, dim, 112);
      const vectors = new Float32Array(n * dim);
      for (let i = 0; i < n; i++) {
        const c = Math.floor(r() * 30);
        for (let j = 0; j < dim; j++) vectors[i * dim + j] = centers[c * dim + j] + (r() - 0.5) * 0.02;
      }
      // Exact duplicates too: ties must still come back in id order.
      vectors.copyWithin(0, 100 * dim, 110 * dim);
      const ids = randomIds(n, 113);
      for (const metric of ['cosine', 'ip'] as const) {
        const exact = new CosineIndex({ dim, metric, storage: 'f32', isa });
        const reranked = new CosineIndex({ dim, metric, storage, rerank: true, isa });
        const plain = new CosineIndex({ dim, metric, storage, isa });
        exact.add(ids, vectors);
        reranked.add(ids, vectors);
        plain.add(ids, vectors);
        let differs = 0;
        const queries = new Float32Array(centers.subarray(0, 5 * dim));
        for (let q = 0; q < 5; q++) {
          const qv = queries.subarray(q * dim, (q + 1) * dim);
          for (const k of [1, 10, 100]) {
            const a = exact.searchSync(qv, { k });
            const b = reranked.searchSync(qv, { k });
            assert.equal(Array.from(b.ids), Array.from(a.ids), `${metric} q ${q} k ${k} ids`);
            assert.equal(Array.from(b.scores), Array.from(a.scores), `${metric} q ${q} k ${k} scores`);
            const c = plain.searchSync(qv, { k });
            if (Array.from(c.ids).join() !== Array.from(a.ids).join()) differs++;
          }
        }
        // The data is hard enough that reduced scores alone get the order wrong somewhere (for the
        // coarser formats), so the equality above is not trivially true.
        if (storage !== 'f16') assert.ok(differs > 0, `${storage} ${metric}: expected the unreranked order to differ`);
        // Batch path with rerank: the f32 candidates' scores, checked against the f32 index's batch.
        const batch = reranked.searchSync(centers, { k: 20 });
        const batchExact = exact.searchSync(centers, { k: 20 });
        for (let i = 0; i < batch.scores.length; i++) assert.ok(Math.abs(batch.scores[i] - batchExact.scores[i]) <= 1e-5 * (metric === 'ip' ? dim : 1));
      }
    });
  }
}

test('reduced storage cuts the scanned bytes: f32 4, bf16/f16 2, i8 1 (+4 per row) bytes per element', () => {
  const dim = 128, n = 4096;
  const vectors = randomVectors(n, dim, 121);
  const ids = Array.from({ length: n }, (_, i) => i);
  const bytes: Record<string, number> = {};
  for (const storage of ['f32', 'bf16', 'f16', 'i8'] as const) {
    const index = new CosineIndex({ dim, storage });
    index.add(ids, vectors);
    const m = index.memoryUsage();
    bytes[storage] = m.vectors;
    assert.is(m.rerank, 0);
    assert.ok(m.total >= m.vectors + m.ids);
  }
  assert.ok(bytes.f32 >= n * dim * 4 && bytes.f32 < n * dim * 4 * 1.6);
  assert.ok(bytes.bf16 * 2 === bytes.f32 && bytes.f16 === bytes.bf16);
  assert.ok(bytes.i8 < bytes.f32 / 3.5);
  const r = new CosineIndex({ dim, storage: 'i8', rerank: true });
  r.add(ids, vectors);
  assert.is(r.memoryUsage().rerank, bytes.f32);
  assert.is(new CosineIndex({ dim, storage: 'f32', rerank: true }).rerank, false);
});

test('f16 storage refuses ip values outside the f16 range and leaves the index unchanged', () => {
  const index = new CosineIndex({ dim: 2, metric: 'ip', storage: 'f16' });
  index.add([1], new Float32Array([1, 2]));
  assert.throws(() => index.add([2], new Float32Array([70000, 0])), (e: Error & { code: string }) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
  assert.is(index.size, 1);
  index.add([3], new Float32Array([65504, -65504]));
  assert.equal(Array.from(index.get(3) as Float32Array), [65504, -65504]);
});

test.run();
