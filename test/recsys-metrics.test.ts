// Ranking metrics against hand-computed cases and a brute-force reference (full sort, pairwise AUC).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fullRankingMetrics, MetricAccumulator, sampledMetrics, sampleNegatives, topK, Rng, type MetricValues } from '../lib/index';

const close = (a: number, b: number, msg: string, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${msg}: ${a} vs ${b}`);
function closeAll(got: MetricValues, want: MetricValues, what: string): void {
  for (const m of Object.keys(want) as (keyof MetricValues)[]) {
    if (Number.isNaN(want[m])) assert.ok(Number.isNaN(got[m]), `${what} ${m} should be NaN`);
    else close(got[m], want[m], `${what} ${m}`, 1e-9);
  }
}

test('full ranking: a hand-computed case with an excluded item and a tie', () => {
  // Items 0..5; item 0 is seen (excluded). Order of candidates: 1 (0.8), 2 (0.7), 3 (0.7, tie -> index), 5, 4.
  const scores = Float32Array.from([0.9, 0.8, 0.7, 0.7, 0.1, 0.5]);
  const excluded = Uint8Array.from([1, 0, 0, 0, 0, 0]);
  const m = fullRankingMetrics(scores, [1, 4], 3, excluded);
  close(m.hr, 1, 'hr');
  close(m.precision, 1 / 3, 'precision');
  close(m.recall, 1 / 2, 'recall');
  close(m.ndcg, 1 / (1 + 1 / Math.log2(3)), 'ndcg');
  close(m.map, 1 / 2, 'map'); // AP@3 = (1/1) / min(3, 2)
  close(m.mrr, 1, 'mrr');
  close(m.auc, 3 / 6, 'auc'); // item 1 beats 3 negatives, item 4 beats none
});

test('full ranking: relevant item below the cut-off gives MRR 1/rank and zero @k', () => {
  const scores = Float32Array.from([5, 4, 3, 2, 1]);
  const m = fullRankingMetrics(scores, [3], 2);
  assert.equal([m.hr, m.ndcg, m.precision, m.recall, m.map], [0, 0, 0, 0, 0]);
  close(m.mrr, 1 / 4, 'mrr');
  close(m.auc, 1 / 4, 'auc'); // above 1 of 4 negatives
});

test('full ranking: two hits, NDCG and MAP by hand', () => {
  // Ranking 0,1,2,3,4; relevant {0, 2}: hits at ranks 1 and 3, k = 3.
  const scores = Float32Array.from([10, 9, 8, 7, 6]);
  const m = fullRankingMetrics(scores, [0, 2], 3);
  close(m.ndcg, (1 + 1 / Math.log2(4)) / (1 + 1 / Math.log2(3)), 'ndcg');
  close(m.map, (1 / 1 + 2 / 3) / 2, 'map');
  close(m.precision, 2 / 3, 'precision');
  close(m.recall, 1, 'recall');
  close(m.auc, 5 / 6, 'auc'); // 0 beats 3 negatives, 2 beats 2
});

test('ties count half in AUC and break by index in the ranking', () => {
  const scores = new Float32Array(4).fill(1);
  const m = fullRankingMetrics(scores, [2], 1);
  close(m.auc, 0.5, 'auc');
  close(m.mrr, 1 / 3, 'mrr'); // items 0 and 1 come first on the tie
  assert.is(m.hr, 0);
});

test('NaN scores rank last; AUC is NaN when every candidate is relevant', () => {
  const m = fullRankingMetrics(Float32Array.from([NaN, 1, 2]), [0], 1);
  close(m.mrr, 1 / 3, 'mrr');
  close(m.auc, 0, 'auc');
  assert.ok(Number.isNaN(fullRankingMetrics(Float32Array.from([1, 2]), [0, 1], 1).auc));
});

/** The independent reference: sort every candidate, walk the list, count pairs. */
function reference(scores: Float32Array, relevant: number[], k: number, excluded: Uint8Array): MetricValues {
  const rel = new Set(relevant);
  const cand: number[] = [];
  for (let i = 0; i < scores.length; i++) if (!excluded[i] || rel.has(i)) cand.push(i);
  const s = (i: number) => (Number.isNaN(scores[i]) ? -Infinity : scores[i]);
  cand.sort((a, b) => s(b) - s(a) || a - b);
  let hits = 0, dcg = 0, ap = 0, firstRank = -1;
  cand.forEach((item, pos) => {
    if (!rel.has(item)) return;
    if (firstRank < 0) firstRank = pos;
    if (pos < k) {
      hits++;
      dcg += 1 / Math.log2(pos + 2);
      ap += hits / (pos + 1);
    }
  });
  let idcg = 0;
  for (let j = 0; j < Math.min(k, rel.size); j++) idcg += 1 / Math.log2(j + 2);
  let pairs = 0, good = 0;
  for (const p of rel) for (const n of cand) {
    if (rel.has(n)) continue;
    pairs++;
    good += s(p) > s(n) ? 1 : s(p) === s(n) ? 0.5 : 0;
  }
  return {
    hr: hits > 0 ? 1 : 0, ndcg: dcg / idcg, precision: hits / k, recall: hits / rel.size,
    map: ap / Math.min(k, rel.size), mrr: 1 / (firstRank + 1), auc: pairs ? good / pairs : NaN,
  };
}

test('full ranking agrees with the brute-force reference on random cases with ties', () => {
  const rng = new Rng(7);
  for (let c = 0; c < 300; c++) {
    const n = 2 + rng.int(60);
    // Coarse scores force many ties.
    const scores = Float32Array.from({ length: n }, () => rng.int(8) / 4);
    const excluded = Uint8Array.from({ length: n }, () => (rng.next() < 0.3 ? 1 : 0));
    const items = rng.shuffle(Array.from({ length: n }, (_, i) => i));
    const relevant = items.slice(0, 1 + rng.int(Math.min(6, n - 1)));
    for (const i of relevant) excluded[i] = 0;
    const k = 1 + rng.int(12);
    closeAll(fullRankingMetrics(scores, Int32Array.from(relevant), k, excluded), reference(scores, relevant, k, excluded), `case ${c}`);
  }
});

test('topK orders by score then index and matches a full sort', () => {
  const rng = new Rng(3);
  for (let c = 0; c < 100; c++) {
    const n = 1 + rng.int(200);
    const scores = Float32Array.from({ length: n }, () => rng.int(20));
    const k = 1 + rng.int(n + 5);
    const want = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b] - scores[a] || a - b).slice(0, k);
    assert.equal(Array.from(topK(scores, k)), want);
  }
  assert.equal(Array.from(topK(Float32Array.from([1, 3, 2]), 2, Uint8Array.from([0, 1, 0]))), [2, 0]);
  assert.equal(topK(Float32Array.from([1]), 0).length, 0);
});

test('sampled protocol: rank among negatives by hand', () => {
  // Positive item 5 (score 0.5); negatives 1 (0.9), 2 (0.5, smaller index wins the tie), 7 (0.5), 8 (0.1).
  const scores = new Float32Array(10);
  scores[5] = 0.5; scores[1] = 0.9; scores[2] = 0.5; scores[7] = 0.5; scores[8] = 0.1;
  const m = sampledMetrics(scores, 5, [1, 2, 7, 8], 3);
  close(m.hr, 1, 'hr'); // two items ahead: rank 3
  close(m.ndcg, 1 / Math.log2(4), 'ndcg');
  close(m.mrr, 1 / 3, 'mrr');
  close(m.map, 1 / 3, 'map');
  close(m.precision, 1 / 3, 'precision');
  close(m.auc, (1 + 0.5 * 2) / 4, 'auc');
  const miss = sampledMetrics(scores, 5, [1, 2, 7, 8], 2);
  assert.equal([miss.hr, miss.ndcg, miss.recall], [0, 0, 0]);
});

test('sampleNegatives: distinct, never excluded, seeded, capped by what exists', () => {
  const n = 500;
  const excluded = Uint8Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const a = sampleNegatives(n, excluded, 99, 42, 7);
  const b = sampleNegatives(n, excluded, 99, 42, 7);
  const c = sampleNegatives(n, excluded, 99, 42, 8);
  assert.is(a.length, 99);
  assert.equal(Array.from(a), Array.from(b));
  assert.not.equal(Array.from(a), Array.from(c));
  assert.is(new Set(a).size, 99);
  for (const i of a) assert.is(excluded[i], 0);
  // Dense case (fewer than twice as many eligible as wanted) and the cap.
  const dense = Uint8Array.from({ length: 150 }, (_, i) => (i < 30 ? 1 : 0));
  const d = sampleNegatives(150, dense, 99, 1, 0);
  assert.is(new Set(d).size, 99);
  for (const i of d) assert.ok(i >= 30);
  assert.equal(Array.from(sampleNegatives(5, Uint8Array.from([1, 0, 1, 0, 0]), 99, 1, 0)), [1, 3, 4]);
});

test('MetricAccumulator averages and skips NaN per metric', () => {
  const acc = new MetricAccumulator();
  acc.add({ hr: 1, ndcg: 0.5, precision: 0.1, recall: 1, map: 0.5, mrr: 1, auc: NaN });
  acc.add({ hr: 0, ndcg: 0, precision: 0, recall: 0, map: 0, mrr: 0.25, auc: 0.8 });
  const m = acc.mean();
  close(m.hr, 0.5, 'hr');
  close(m.mrr, 0.625, 'mrr');
  close(m.auc, 0.8, 'auc');
  assert.is(acc.count, 2);
});

test('Rng: deterministic per (seed, stream), uniform-ish, unbiased int range', () => {
  const a = new Rng(1, 2);
  const b = new Rng(1, 2);
  const xs = Array.from({ length: 5 }, () => a.nextU32());
  assert.equal(xs, Array.from({ length: 5 }, () => b.nextU32()));
  assert.not.equal(xs, Array.from({ length: 5 }, ((r) => () => r.nextU32())(new Rng(1, 3))));
  const r = new Rng(9);
  const counts = new Array(7).fill(0);
  for (let j = 0; j < 70000; j++) counts[r.int(7)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10000) < 500, `bucket ${c}`);
  assert.throws(() => new Rng(-1), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
});

test.run();
