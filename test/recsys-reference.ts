// Independent references for the recommender tests (not a test file itself): plain JS arrays, full sorts
// and pairwise counts, sharing no code with lib/recsys.
export interface Metrics {
  hr: number; ndcg: number; precision: number; recall: number; map: number; mrr: number; auc: number;
}

/** Full-ranking metrics of one user: candidates = all items not in `seen`, ties by smaller index. */
export function referenceUser(scores: number[], relevant: Set<number>, seen: Set<number>, k: number): Metrics {
  const cand = scores.map((_, i) => i).filter((i) => !seen.has(i) || relevant.has(i));
  cand.sort((a, b) => scores[b] - scores[a] || a - b);
  let hits = 0, dcg = 0, ap = 0, first = -1;
  cand.forEach((item, pos) => {
    if (!relevant.has(item)) return;
    if (first < 0) first = pos;
    if (pos < k) {
      hits++;
      dcg += 1 / Math.log2(pos + 2);
      ap += hits / (pos + 1);
    }
  });
  let idcg = 0;
  for (let j = 0; j < Math.min(k, relevant.size); j++) idcg += 1 / Math.log2(j + 2);
  let pairs = 0, good = 0;
  for (const p of relevant) for (const n of cand) {
    if (relevant.has(n)) continue;
    pairs++;
    good += scores[p] > scores[n] ? 1 : scores[p] === scores[n] ? 0.5 : 0;
  }
  return {
    hr: hits > 0 ? 1 : 0, ndcg: dcg / idcg, precision: hits / k, recall: hits / relevant.size,
    map: ap / Math.min(k, relevant.size), mrr: 1 / (first + 1), auc: pairs ? good / pairs : NaN,
  };
}

export function mean(list: Metrics[]): Metrics {
  const out: any = {};
  for (const key of ['hr', 'ndcg', 'precision', 'recall', 'map', 'mrr', 'auc'] as const) {
    const vals = list.map((m) => m[key]).filter((v) => !Number.isNaN(v));
    out[key] = vals.reduce((a, b) => a + b, 0) / vals.length;
  }
  return out;
}
