/**
 * Test helpers for CosineIndex: a seeded generator and an independent float64 brute-force top-k with the
 * same contract (higher score, then smaller id; excluded/filtered ids never returned; -1 / -Infinity pads).
 */
import * as assert from 'uvu/assert';

/** mulberry32: a small seeded generator for test data (not the library's Philox). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVectors(n: number, dim: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = r() * 2 - 1;
  return out;
}

/** Distinct shuffled ids spread over a wide range (not row numbers). */
export function randomIds(n: number, seed: number, spread = 1000): number[] {
  const r = rng(seed);
  const ids = Array.from({ length: n }, (_, i) => i * spread + Math.floor(r() * spread));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [ids[i], ids[j]] = [ids[j], ids[i]];
  }
  return ids;
}

export interface RefHit {
  id: number;
  score: number;
}

export interface RefOptions {
  metric: 'cosine' | 'ip';
  k: number;
  /** Per query, ids it must not return. */
  exclude?: (q: number) => Set<number>;
  allow?: Set<number>;
  deny?: Set<number>;
}

function normalized(v: Float32Array | Float64Array, metric: 'cosine' | 'ip'): Float64Array {
  const out = Float64Array.from(v);
  if (metric === 'cosine') {
    let s = 0;
    for (const x of out) s += x * x;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < out.length; i++) out[i] *= inv;
  }
  return out;
}

/** Float64 scores of every (query, id) pair: scoreOf(q, id). */
export function referenceScores(vectors: Float32Array, ids: number[], queries: Float32Array, dim: number, metric: 'cosine' | 'ip') {
  const rows = ids.map((_, r) => normalized(vectors.subarray(r * dim, (r + 1) * dim), metric));
  const n = queries.length / dim;
  const scores: Map<number, number>[] = [];
  for (let q = 0; q < n; q++) {
    const qv = normalized(queries.subarray(q * dim, (q + 1) * dim), metric);
    const m = new Map<number, number>();
    rows.forEach((x, r) => {
      let s = 0;
      for (let i = 0; i < dim; i++) s += qv[i] * x[i];
      m.set(ids[r], s);
    });
    scores.push(m);
  }
  return scores;
}

/** The float64 brute-force top-k for every query. */
export function referenceTopK(scores: Map<number, number>[], o: RefOptions): RefHit[][] {
  return scores.map((m, q) => {
    const ex = o.exclude ? o.exclude(q) : undefined;
    const hits: RefHit[] = [];
    for (const [id, score] of m) {
      if (ex && ex.has(id)) continue;
      if (o.allow && !o.allow.has(id)) continue;
      if (o.deny && o.deny.has(id)) continue;
      hits.push({ id, score });
    }
    hits.sort((a, b) => (a.score !== b.score ? b.score - a.score : a.id - b.id));
    return hits.slice(0, o.k);
  });
}

/**
 * Checks n x k results against the reference: each slot's score within `tol` of the reference's slot
 * and of the returned id's true score; ids unique and eligible; ids equal to the reference wherever the
 * reference score is separated from its neighbours by more than 2 tol (elsewhere only near-ties can swap);
 * slots past the eligible count are -1 / -Infinity.
 */
export function assertMatchesReference(
  result: { ids: ArrayLike<number | bigint>; scores: Float32Array },
  ref: RefHit[][],
  scores: Map<number, number>[],
  k: number,
  tol: number,
  label = '',
): void {
  ref.forEach((hits, q) => {
    const seen = new Set<number>();
    for (let j = 0; j < k; j++) {
      const id = Number(result.ids[q * k + j]);
      const s = result.scores[q * k + j];
      const where = `${label} query ${q} slot ${j}`;
      if (j >= hits.length) {
        assert.is(id, -1, `${where}: expected an empty slot`);
        assert.is(s, -Infinity, `${where}: expected -Infinity`);
        continue;
      }
      assert.ok(!seen.has(id), `${where}: id ${id} repeated`);
      seen.add(id);
      const truth = scores[q].get(id);
      assert.ok(truth !== undefined, `${where}: id ${id} is not in the index`);
      assert.ok(Math.abs(s - hits[j].score) <= tol, `${where}: score ${s} vs reference ${hits[j].score}`);
      assert.ok(Math.abs(s - (truth as number)) <= tol, `${where}: score ${s} vs id's true score ${truth}`);
      const prev = j > 0 ? hits[j - 1].score : Infinity;
      const next = j + 1 < hits.length ? hits[j + 1].score : -Infinity;
      if (prev - hits[j].score > 2 * tol && hits[j].score - next > 2 * tol) {
        assert.is(id, hits[j].id, `${where}: id`);
      }
    }
  });
}
