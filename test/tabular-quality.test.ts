// Quality metrics against hand-computed values on tiny tables (KS/TV complement, correlation and
// contingency similarity, AUC, F1), the logistic regression against an independent float64
// finite-difference check of optimality, detection/efficacy at their known extremes, the overall
// score, the async form, and bad input with its codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tabular } from '../lib/index';
import { FeatureEncoder, fitLogistic } from '../lib/tabular/logistic';
import { discretize } from '../lib/tabular/quality/pair-trends';
import { f1Score, rocAuc, stratifiedFolds } from '../lib/tabular/quality/scores';
import { codeOf } from './helpers';

const { ksComplement, tvComplement, correlationSimilarity, contingencySimilarity, detectionScore, efficacy, qualityReport, qualityReportAsync, tableFromColumns } = tabular;

const close = (a: number, b: number, eps = 1e-12) => assert.ok(Math.abs(a - b) <= eps, `${a} vs ${b}`);

test('KSComplement: hand-computed sup |F_r − F_s|, ties and missing values', () => {
  // F_r: .25 .5 .75 1 at 1..4; F_s: 0 0 .25 .5 .75 1 at 1..6 → D = .5
  close(ksComplement([1, 2, 3, 4], [3, 4, 5, 6]), 0.5);
  close(ksComplement([1, 2, 3], [1, 2, 3]), 1);
  close(ksComplement([0, 0], [5, 5]), 0);
  // ties: real {1,1,2,2}, synthetic {1,2,2,2}: after x=1, .5 vs .25 → D = .25 (NaN dropped)
  close(ksComplement([1, 1, 2, 2, NaN], [1, 2, 2, 2]), 0.75);
  assert.ok(Number.isNaN(ksComplement([NaN], [1])));
});

test('TVComplement: 1 − ½Σ|R − S| with missing as its own category', () => {
  // R: a .5 b .25 c .25; S: a .25 b .75 → ½(.25 + .5 + .25) = .5
  close(tvComplement(['a', 'a', 'b', 'c'], ['a', 'b', 'b', 'b']), 0.5);
  close(tvComplement(['a', null], ['a', 'a']), 0.5);
  close(tvComplement(['x'], ['y']), 0);
});

test('CorrelationSimilarity: 1 − |S − R| / 2 with Pearson; undefined for a constant column', () => {
  const x = [1, 2, 3, 4];
  close(correlationSimilarity(x, [2, 4, 6, 8], x, [8, 6, 4, 2]).score, 0);
  // corr([1,2,3,4],[1,2,2,1]) = 0 → 1 − |0 − 1| / 2 = .5
  close(correlationSimilarity(x, [2, 4, 6, 8], x, [1, 2, 2, 1]).score, 0.5);
  assert.ok(Number.isNaN(correlationSimilarity(x, [5, 5, 5, 5], x, x).score));
});

test('ContingencySimilarity: 1 − TVD of the joint frequencies; continuous cut into 10 bins of the real range', () => {
  // R: ax .25 ay .25 bx .5; S: ax .5 bx .25 by .25 → ½(.25+.25+.25+.25) = .5
  close(contingencySimilarity(['a', 'a', 'b', 'b'], ['x', 'y', 'x', 'x'], ['a', 'a', 'b', 'b'], ['x', 'x', 'y', 'x']), 0.5);
  assert.equal(discretize([0, 10, 5, 2.5, NaN, -3, 99], { min: 0, max: 10 }), ['0', '9', '5', '2', 'nan', '0', '9']);
  const real = tableFromColumns({ v: [0, 1, 9, 10], c: ['a', 'a', 'b', 'b'] });
  const syn = tableFromColumns({ v: [0, 9.5, 0.5, 10], c: ['a', 'a', 'b', 'b'] });
  // real pairs (bin, c): (0,a) (1,a) (9,b) (9,b); synthetic: (0,a) (9,a) (0,b) (9,b) → ½(0+.25+.25+.25+.25) = .5
  const r = qualityReport(real, syn, { detection: false });
  assert.is(r.columnPairTrends.pairs[0].metric, 'ContingencySimilarity');
  close(r.columnPairTrends.pairs[0].score, 0.5);
});

test('overall score is the mean of Column Shapes and Column Pair Trends (hand-computed)', () => {
  const real = tableFromColumns({ x: [1, 2, 3, 4], y: [2, 4, 6, 8], c: ['a', 'a', 'b', 'c'] });
  const syn = tableFromColumns({ x: [3, 4, 5, 6], y: [8, 6, 4, 2], c: ['a', 'b', 'b', 'b'] });
  const r = qualityReport(real, syn, { detection: false });
  // shapes: x .5; y: R {2,4,6,8} S {2,4,6,8} → 1; c .5 → 2/3
  close(r.columnShapes.score, 2 / 3);
  const byPair = Object.fromEntries(r.columnPairTrends.pairs.map((p) => [p.columns.join('|'), p.score]));
  close(byPair['x|y'], 0); // corr 1 vs −1
  // x binned on [1,4] (width .3): real bins 0,3,6,9; synthetic x = 3,4,5,6 → bins 6,9,9,9
  // real (x,c): (0,a)(3,a)(6,b)(9,c); syn: (6,a)(9,b)(9,b)(9,b) → all disjoint → 0
  close(byPair['x|c'], 0);
  // y bins real: 0,3,6,9 → (0,a)(3,a)(6,b)(9,c); syn y 8,6,4,2 → bins 9,6,3,0 → (9,a)(6,b)(3,b)(0,b): share (6,b) → 1 − ½(.75·2) = .25
  close(byPair['y|c'], 0.25);
  close(r.columnPairTrends.score, 0.25 / 3);
  close(r.score, (2 / 3 + 0.25 / 3) / 2);
});

test('rocAuc (ties averaged) and f1Score against hand values', () => {
  close(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  close(rocAuc([0.5, 0.5], [0, 1]), 0.5);
  close(rocAuc([0.2, 0.9, 0.5, 0.5], [0, 1, 0, 1]), 0.875);
  assert.ok(Number.isNaN(rocAuc([1, 2], [1, 1])));
  // tp 2, fp 1, fn 1 → 4 / 6
  close(f1Score([1, 1, 1, 0, 0], [1, 1, 0, 1, 0]), 2 / 3);
  close(f1Score([0, 0], [0, 0]), 0);
});

test('stratifiedFolds: each class dealt evenly, reproducible by seed', () => {
  const y = Array.from({ length: 30 }, (_, i) => (i < 12 ? 1 : 0));
  const f = stratifiedFolds(y, 3, 7);
  for (let k = 0; k < 3; k++) {
    assert.is(y.filter((v, i) => v === 1 && f[i] === k).length, 4);
    assert.is(y.filter((v, i) => v === 0 && f[i] === k).length, 6);
  }
  assert.equal(stratifiedFolds(y, 3, 7), f);
});

test('logistic regression reaches the optimum of its penalized log-loss (independent float64 finite differences)', () => {
  const n = 60;
  const x = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 5));
  const c = Array.from({ length: n }, (_, i) => ['u', 'v', 'w'][(i * 7) % 3]);
  const label = x.map((v, i) => (v + (c[i] === 'v' ? 1.5 : 0) + Math.cos(i * 3.1) * 2 > 2.5 ? 'yes' : 'no'));
  const t = tableFromColumns({ x, c, label });
  const enc = FeatureEncoder.fit(t, 'label');
  const d = enc.encode(t);
  const y = Uint8Array.from(label, (v) => (v === 'yes' ? 1 : 0));
  const w = fitLogistic(d, y, Int32Array.from({ length: n }, (_, i) => i), { l2: 1 });
  // Independent loss on a dense rebuild of the features: standardized x, one-hot u/v/w, intercept.
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const std = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  const rows = x.map((v, i) => [(v - mean) / std, c[i] === 'u' ? 1 : 0, c[i] === 'v' ? 1 : 0, c[i] === 'w' ? 1 : 0, 1]);
  const loss = (p: number[]) => {
    let s = 0;
    rows.forEach((r, i) => {
      const z = r.reduce((acc, v, j) => acc + v * p[j], 0);
      s += Math.log(1 + Math.exp(z)) - y[i] * z;
    });
    return s + 0.5 * (p[0] ** 2 + p[1] ** 2 + p[2] ** 2 + p[3] ** 2) + 0.5e-8 * p[4] ** 2;
  };
  const p = Array.from(w);
  assert.is(p.length, 5);
  for (let j = 0; j < 5; j++) {
    const h = 1e-5;
    const up = p.slice();
    const dn = p.slice();
    up[j] += h;
    dn[j] -= h;
    const g = (loss(up) - loss(dn)) / (2 * h);
    assert.ok(Math.abs(g) < 1e-5, `∂loss/∂w${j} = ${g}`);
  }
  assert.ok(p[0] > 0 && p[2] > p[1] && p[2] > p[3], 'x and level v push towards yes');
});

test('detection: separable tables score 0, indistinguishable (constant) tables score 1', () => {
  const real = tableFromColumns({ x: Array.from({ length: 30 }, (_, i) => i), c: Array.from({ length: 30 }, () => 'a') });
  const far = tableFromColumns({ x: Array.from({ length: 30 }, (_, i) => 1000 + i), c: Array.from({ length: 30 }, () => 'a') });
  const d = detectionScore(real, far, { seed: 1 });
  assert.equal(d.auc, [1, 1, 1]);
  close(d.score, 0);
  const same = tableFromColumns({ x: Array(30).fill(5), c: Array(30).fill('k') });
  const e = detectionScore(same, same, { seed: 1 });
  assert.equal(e.auc, [0.5, 0.5, 0.5]);
  close(e.score, 1);
});

test('efficacy: TSTR F1 is 1 with faithful synthetic labels and 0 with flipped ones; TRTR on the holdout', () => {
  // A wide gap between the classes, so any sensible boundary separates them despite the L2 penalty.
  const x = Array.from({ length: 100 }, (_, i) => (i >= 70 ? i + 200 : i));
  const label = x.map((v) => (v >= 70 ? 'hi' : 'lo'));
  const real = tableFromColumns({ x, label });
  const good = efficacy(real, real, { target: 'label', seed: 3 });
  assert.is(good.positive, 'hi');
  assert.is(good.testRows, 30);
  close(good.tstrF1, 1);
  close(good.trtrF1, 1);
  const flipped = tableFromColumns({ x, label: x.map((v) => (v >= 70 ? 'lo' : 'hi')) });
  close(efficacy(real, flipped, { target: 'label', seed: 3 }).tstrF1, 0);
  // One synthetic class only: predicted negative everywhere → F1 0, not a crash.
  const oneClass = tableFromColumns({ x, label: x.map(() => 'lo') });
  close(efficacy(real, oneClass, { target: 'label', realTest: real }).tstrF1, 0);
  assert.is(codeOf(() => efficacy(real, real, { target: 'x' })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => efficacy(real, real, { target: 'label', positive: 'mid' })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => efficacy(real, real, { target: 'nope' })), 'ERR_RECKIT_INVALID_ARG');
});

test('qualityReport accepts records, aligns column order, reports constant columns; bad input has codes', () => {
  const real = [
    { a: 1, b: 'x', k: 0 },
    { a: 2, b: 'y', k: 0 },
    { a: 3, b: 'x', k: 0 },
  ];
  const syn = [
    { b: 'x', a: 1, k: 0 },
    { b: 'y', a: 2, k: 0 },
    { b: 'x', a: 3, k: 0 },
  ];
  const r = qualityReport(real, syn, { detection: false });
  close(r.score, 1);
  assert.ok(r.notes.some((n) => n.includes("'k' is constant")));
  assert.is(codeOf(() => qualityReport(real, [{ a: 1, b: 'x' }], {})), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => qualityReport(real, [{ a: 'text', b: 'x', k: 0 }], {})), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => qualityReport(real, 5 as never, {})), 'ERR_RECKIT_INVALID_ARG');
});

test('qualityReportAsync (worker thread) gives the same report as the sync call; rejects bad input with its code', async () => {
  const n = 120;
  const real = tableFromColumns({
    x: Array.from({ length: n }, (_, i) => (i * 37) % 101),
    c: Array.from({ length: n }, (_, i) => ['p', 'q', 'r'][i % 3]),
    t: Array.from({ length: n }, (_, i) => ((i * 37) % 101 > 50 ? 'y' : 'n')),
  });
  const syn = tableFromColumns({
    x: Array.from({ length: n }, (_, i) => (i * 53) % 97),
    c: Array.from({ length: n }, (_, i) => ['p', 'q', 'r'][(i * i) % 3]),
    t: Array.from({ length: n }, (_, i) => ((i * 53) % 97 > 40 ? 'y' : 'n')),
  });
  const sync = qualityReport(real, syn, { target: 't', seed: 2 });
  const async = await qualityReportAsync(real, syn, { target: 't', seed: 2 });
  assert.equal(async, sync);
  let code: string | undefined;
  try {
    await qualityReportAsync(real, { x: [1] }, {});
  } catch (e) {
    code = (e as { code?: string }).code;
  }
  assert.is(code, 'ERR_RECKIT_INVALID_ARG');
  try {
    await qualityReportAsync(real, syn, { target: 'x' });
  } catch (e) {
    code = (e as { code?: string }).code;
    assert.ok(e instanceof TypeError);
  }
  assert.is(code, 'ERR_RECKIT_INVALID_ARG');
});

test.run();
