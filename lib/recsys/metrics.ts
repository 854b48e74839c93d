/**
 * Ranking metrics of recommenders: HR@k, NDCG@k, precision@k, recall@k, MAP@k, MRR and AUC, under two
 * protocols: full ranking (every item the user has not seen is a candidate) and sampled (each test item
 * ranked against `n` sampled unseen items, 99 by default, as in NCF-style leave-one-out reports).
 *
 * Conventions (stated because papers differ): binary relevance; ties in a ranking break by the smaller
 * item index (as CosineIndex does), so HR/NDCG/MRR are deterministic; AUC counts a tied pair as half
 * (Mann-Whitney). Recall@k divides by all relevant items; MAP@k divides by min(k, |relevant|). NaN scores
 * rank last.
 */
import { Rng } from './prng';

export const METRIC_NAMES = ['hr', 'ndcg', 'precision', 'recall', 'map', 'mrr', 'auc'] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export type MetricValues = Record<MetricName, number>;

/** Display labels for reports (`NDCG@10`). MRR and AUC are over the whole candidate list, not cut at k. */
export function metricLabel(name: MetricName, k: number): string {
  const base = { hr: 'HR', ndcg: 'NDCG', precision: 'P', recall: 'R', map: 'MAP', mrr: 'MRR', auc: 'AUC' }[name];
  return name === 'mrr' || name === 'auc' ? base : `${base}@${k}`;
}

function val(s: number): number {
  return s === s ? s : -Infinity;
}

/** True when item a (score sa) ranks before item b (score sb). */
function before(sa: number, a: number, sb: number, b: number): boolean {
  return sa > sb || (sa === sb && a < b);
}

/**
 * The k best candidates by score (descending, ties by smaller index). `excluded[i]` nonzero removes item
 * i. A size-k min-heap over the candidates: O(n log k), no full sort.
 */
export function topK(scores: ArrayLike<number>, k: number, excluded?: Uint8Array): Int32Array {
  const n = scores.length;
  const heapIdx = new Int32Array(k);
  const heapVal = new Float64Array(k);
  let size = 0;
  // The heap root is the worst kept item; `before(root, x)` false means x should replace it.
  const worse = (i: number, j: number): boolean => before(heapVal[j], heapIdx[j], heapVal[i], heapIdx[i]);
  const siftDown = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && worse(l, m)) m = l;
      if (r < size && worse(r, m)) m = r;
      if (m === i) return;
      swap(m, i);
      i = m;
    }
  };
  const swap = (a: number, b: number): void => {
    const ti = heapIdx[a];
    heapIdx[a] = heapIdx[b];
    heapIdx[b] = ti;
    const tv = heapVal[a];
    heapVal[a] = heapVal[b];
    heapVal[b] = tv;
  };
  if (k <= 0) return new Int32Array(0);
  for (let i = 0; i < n; i++) {
    if (excluded && excluded[i]) continue;
    const s = val(scores[i]);
    if (size < k) {
      heapIdx[size] = i;
      heapVal[size] = s;
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(c, p)) break;
        swap(c, p);
        c = p;
      }
    } else if (before(s, i, heapVal[0], heapIdx[0])) {
      heapIdx[0] = i;
      heapVal[0] = s;
      siftDown(0);
    }
  }
  const out = heapIdx.slice(0, size);
  const score = new Map<number, number>();
  for (let j = 0; j < size; j++) score.set(heapIdx[j], heapVal[j]);
  return out.sort((a, b) => (before(score.get(a)!, a, score.get(b)!, b) ? -1 : 1));
}

/** Metrics of one ranked top-k list against a relevant set; MRR and AUC are supplied by the caller. */
function cutoffMetrics(top: Int32Array, isRelevant: (item: number) => boolean, nRelevant: number, k: number): Omit<MetricValues, 'mrr' | 'auc'> {
  let hits = 0;
  let dcg = 0;
  let apSum = 0;
  for (let j = 0; j < top.length && j < k; j++) {
    if (!isRelevant(top[j])) continue;
    hits++;
    dcg += 1 / Math.log2(j + 2);
    apSum += hits / (j + 1);
  }
  let idcg = 0;
  for (let j = 0; j < Math.min(nRelevant, k); j++) idcg += 1 / Math.log2(j + 2);
  return {
    hr: hits > 0 ? 1 : 0,
    ndcg: idcg > 0 ? dcg / idcg : 0,
    precision: hits / k,
    recall: nRelevant > 0 ? hits / nRelevant : 0,
    map: nRelevant > 0 ? apSum / Math.min(k, nRelevant) : 0,
  };
}

/**
 * Full-ranking metrics for one user. `relevant`: the user's test items (distinct); `excluded`: a mask of
 * items that are not candidates (the user's train items when seen items are excluded). Relevant items are
 * always candidates. AUC is NaN when every candidate is relevant.
 */
export function fullRankingMetrics(scores: ArrayLike<number>, relevant: ArrayLike<number>, k: number, excluded?: Uint8Array): MetricValues {
  const n = scores.length;
  const nRel = relevant.length;
  const relMask = new Uint8Array(n);
  for (let j = 0; j < nRel; j++) relMask[relevant[j]] = 1;
  let mask = excluded;
  if (excluded) {
    // Relevant items stay candidates even if the caller's mask has them (a split never does).
    let clash = false;
    for (let j = 0; j < nRel; j++) if (excluded[relevant[j]]) clash = true;
    if (clash) {
      mask = excluded.slice();
      for (let j = 0; j < nRel; j++) mask[relevant[j]] = 0;
    }
  }
  const top = topK(scores, k, mask);
  const cut = cutoffMetrics(top, (i) => relMask[i] === 1, nRel, k);

  // The best relevant item under the ranking order, then one pass over candidates for its rank (MRR)
  // and for the pairwise order of positives vs negatives (AUC, ties half).
  let best = -1;
  const posScores = new Float64Array(nRel);
  for (let j = 0; j < nRel; j++) {
    const i = relevant[j];
    posScores[j] = val(scores[i]);
    if (best < 0 || before(val(scores[i]), i, val(scores[best]), best)) best = i;
  }
  posScores.sort();
  const bestScore = best >= 0 ? val(scores[best]) : 0;
  let ahead = 0;
  let correct = 0;
  let nNeg = 0;
  for (let i = 0; i < n; i++) {
    if ((mask && mask[i]) || relMask[i]) continue;
    const s = val(scores[i]);
    nNeg++;
    if (best >= 0 && before(s, i, bestScore, best)) ahead++;
    // One binary search, then a scan over ties (rare except for popularity-like scores).
    const lo = lowerBound(posScores, s);
    let hi = lo;
    while (hi < nRel && posScores[hi] === s) hi++;
    correct += nRel - hi + 0.5 * (hi - lo);
  }
  return {
    ...cut,
    mrr: best >= 0 ? 1 / (ahead + 1) : 0,
    auc: nRel > 0 && nNeg > 0 ? correct / (nRel * nNeg) : NaN,
  };
}

/** Sampled-protocol metrics for one (user, positive item) instance ranked against `negatives`. */
export function sampledMetrics(scores: ArrayLike<number>, positive: number, negatives: ArrayLike<number>, k: number): MetricValues {
  const sp = val(scores[positive]);
  let ahead = 0;
  let below = 0;
  let tied = 0;
  for (let j = 0; j < negatives.length; j++) {
    const i = negatives[j];
    const s = val(scores[i]);
    if (before(s, i, sp, positive)) ahead++;
    if (s < sp) below++;
    else if (s === sp) tied++;
  }
  const hit = ahead < k ? 1 : 0;
  return {
    hr: hit,
    ndcg: hit ? 1 / Math.log2(ahead + 2) : 0,
    precision: hit / k,
    recall: hit,
    map: hit ? 1 / (ahead + 1) : 0,
    mrr: 1 / (ahead + 1),
    auc: negatives.length > 0 ? (below + 0.5 * tied) / negatives.length : NaN,
  };
}

/**
 * `count` distinct items drawn uniformly from those with `excluded[i] == 0` (fewer when fewer exist),
 * from the generator of stream `stream` under `seed` (the evaluator uses one stream per user).
 */
export function sampleNegatives(numItems: number, excluded: Uint8Array, count: number, seed: number, stream: number): Int32Array {
  let available = 0;
  for (let i = 0; i < numItems; i++) if (!excluded[i]) available++;
  const rng = new Rng(seed, stream);
  if (available <= count) {
    const all = new Int32Array(available);
    let w = 0;
    for (let i = 0; i < numItems; i++) if (!excluded[i]) all[w++] = i;
    return all;
  }
  const out = new Int32Array(count);
  const taken = new Set<number>();
  if (available >= 2 * count) {
    // Rejection sampling: cheap while most items are eligible.
    let w = 0;
    while (w < count) {
      const i = rng.int(numItems);
      if (excluded[i] || taken.has(i)) continue;
      taken.add(i);
      out[w++] = i;
    }
    return out;
  }
  // Dense case: a partial Fisher-Yates over the eligible list.
  const pool = new Int32Array(available);
  let w = 0;
  for (let i = 0; i < numItems; i++) if (!excluded[i]) pool[w++] = i;
  for (let j = 0; j < count; j++) {
    const r = j + rng.int(available - j);
    const t = pool[j];
    pool[j] = pool[r];
    pool[r] = t;
  }
  out.set(pool.subarray(0, count));
  return out;
}

/** Running means of metric values; NaN entries (e.g. an undefined AUC) are left out of that metric's mean. */
export class MetricAccumulator {
  private readonly sums: Record<MetricName, number> = { hr: 0, ndcg: 0, precision: 0, recall: 0, map: 0, mrr: 0, auc: 0 };
  private readonly counts: Record<MetricName, number> = { hr: 0, ndcg: 0, precision: 0, recall: 0, map: 0, mrr: 0, auc: 0 };
  count = 0;

  add(v: MetricValues): void {
    this.count++;
    for (const m of METRIC_NAMES) {
      if (Number.isNaN(v[m])) continue;
      this.sums[m] += v[m];
      this.counts[m]++;
    }
  }

  mean(): MetricValues {
    const out = {} as MetricValues;
    for (const m of METRIC_NAMES) out[m] = this.counts[m] > 0 ? this.sums[m] / this.counts[m] : NaN;
    return out;
  }
}

function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
