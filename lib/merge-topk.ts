/**
 * mergeTopK: the exact merge of per-shard search results, so an index sharded across processes or hosts
 * answers exactly like one index holding every shard (same ids, order and scores), provided each shard
 * returned at least k results per query from the same kind of index (metric, storage, rerank, ISA).
 */
import { dimMismatch, invalidArg } from './errors';
import type { SearchResult } from './cosine-index';
import { requireInteger } from './validate';

/** One shard's result: n x width, row-major; width is `k` when given, else the merge's k. */
export interface ShardResult<I extends Float64Array | BigInt64Array = Float64Array> {
  ids: I;
  scores: Float32Array;
  k?: number;
}

/**
 * Merges shard results query by query: higher score first, then smaller id; id -1 slots are skipped and
 * an id seen in several shards counts once (its best score). Returns n x k results with id -1 / score
 * -Infinity in slots no shard could fill.
 */
export function mergeTopK(results: readonly ShardResult<BigInt64Array>[], k: number): SearchResult<BigInt64Array>;
export function mergeTopK(results: readonly ShardResult<Float64Array>[], k: number): SearchResult<Float64Array>;
export function mergeTopK(
  results: readonly ShardResult<Float64Array | BigInt64Array>[],
  k: number,
): SearchResult<Float64Array | BigInt64Array> {
  const kk = requireInteger(k, 'k', 1, 2 ** 31);
  if (!Array.isArray(results) || results.length === 0) throw invalidArg('results must be a non-empty array');
  const bigint = results[0]?.ids instanceof BigInt64Array;
  let n = -1;
  const widths: number[] = [];
  results.forEach((r, s) => {
    if (r === null || typeof r !== 'object') throw invalidArg(`results[${s}] must be an object with ids and scores`);
    if (!(r.ids instanceof Float64Array || r.ids instanceof BigInt64Array) || !(r.scores instanceof Float32Array)) {
      throw invalidArg(`results[${s}] must have ids (Float64Array or BigInt64Array) and scores (Float32Array)`);
    }
    if ((r.ids instanceof BigInt64Array) !== bigint) throw invalidArg('results must all use the same id type');
    if (r.ids.length !== r.scores.length) throw dimMismatch(`results[${s}].ids and .scores differ in length`);
    const width = r.k === undefined ? kk : requireInteger(r.k, `results[${s}].k`, 1, 2 ** 31);
    if (r.ids.length % width !== 0) throw dimMismatch(`results[${s}] does not hold n x ${width} values`);
    const rows = r.ids.length / width;
    if (n >= 0 && rows !== n) throw dimMismatch(`results[${s}] has ${rows} queries, results[0] has ${n}`);
    n = rows;
    widths.push(width);
  });
  const ids = bigint ? new BigInt64Array(n * kk).fill(-1n) : new Float64Array(n * kk).fill(-1);
  const scores = new Float32Array(n * kk).fill(-Infinity);
  type Entry = { id: number | bigint; score: number };
  for (let q = 0; q < n; q++) {
    const entries: Entry[] = [];
    results.forEach((r, s) => {
      const w = widths[s];
      for (let j = q * w; j < (q + 1) * w; j++) {
        const id = r.ids[j];
        if (id === -1 || id === -1n) continue;
        entries.push({ id, score: r.scores[j] });
      }
    });
    entries.sort((a, b) => (a.score !== b.score ? b.score - a.score : a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const seen = new Set<number | bigint>();
    let out = q * kk;
    for (const e of entries) {
      if (out === (q + 1) * kk) break;
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      ids[out] = e.id as never;
      scores[out] = e.score;
      out++;
    }
  }
  return { ids, scores, k: kk };
}
