// mergeTopK: results of shards merged equal one index holding every shard (ids, order, scores), with
// ties across shards in id order and -1 padding when the shards together hold fewer than k.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CosineIndex, mergeTopK } from '../lib/index';
import { randomIds, randomVectors, rng } from './helpers/topk-reference';

test('merging per-shard top-k equals the unsharded index, single and batch queries, with ties', () => {
  const dim = 16, n = 3000;
  const vectors = randomVectors(n, dim, 401);
  vectors.copyWithin(0, 10 * dim, 30 * dim);  // exact duplicates, landing in different shards
  const ids = randomIds(n, 402);
  const whole = new CosineIndex({ dim });
  whole.add(ids, vectors);
  const r = rng(403);
  const shards = [0, 1, 2].map(() => new CosineIndex({ dim }));
  const owner = ids.map(() => Math.floor(r() * 3));
  shards.forEach((s, i) => {
    const rows = ids.map((_, j) => j).filter((j) => owner[j] === i);
    const v = new Float32Array(rows.length * dim);
    rows.forEach((j, t) => v.set(vectors.subarray(j * dim, (j + 1) * dim), t * dim));
    s.add(rows.map((j) => ids[j]), v);
  });
  for (const nq of [1, 20]) {
    const q = new Float32Array(nq * dim);
    q.set(vectors.subarray(10 * dim, 11 * dim));  // the first query hits the duplicates exactly
    q.set(randomVectors(nq - 1, dim, 404), dim);
    for (const k of [1, 10, 50]) {
      const merged = mergeTopK(shards.map((s) => s.searchSync(q, { k })), k);
      const expected = whole.searchSync(q, { k });
      assert.equal(Array.from(merged.ids), Array.from(expected.ids), `nq ${nq} k ${k}`);
      assert.equal(Array.from(merged.scores), Array.from(expected.scores), `nq ${nq} k ${k}`);
    }
  }
});

test('mergeTopK pads with -1 / -Infinity, skips empty slots, accepts wider shards and bigint ids', () => {
  const a = { ids: new Float64Array([5, 3, -1]), scores: new Float32Array([0.9, 0.5, -Infinity]), k: 3 };
  const b = { ids: new Float64Array([4, -1, -1]), scores: new Float32Array([0.5, -Infinity, -Infinity]), k: 3 };
  const m = mergeTopK([a, b], 5);
  assert.equal(Array.from(m.ids), [5, 3, 4, -1, -1]);  // the 0.5 tie: smaller id first
  assert.equal(Array.from(m.scores), [Math.fround(0.9), 0.5, 0.5, -Infinity, -Infinity]);
  const big = mergeTopK([{ ids: new BigInt64Array([9n]), scores: new Float32Array([1]) }, { ids: new BigInt64Array([2n]), scores: new Float32Array([1]) }], 1);
  assert.equal(Array.from(big.ids), [2n]);
  assert.throws(() => mergeTopK([a, { ids: new Float64Array(4), scores: new Float32Array(4), k: 2 }], 2), (e: Error & { code: string }) => e.code === 'ERR_RECKIT_DIM_MISMATCH');
  assert.throws(() => mergeTopK([], 2), (e: Error & { code: string }) => e.code === 'ERR_RECKIT_INVALID_ARG');
  assert.throws(() => mergeTopK([a], 0), (e: Error & { code: string }) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
});

test.run();
