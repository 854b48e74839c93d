// Conditional vectors and training-by-sampling: layout against the encoder, every draw pairs its
// condition with a real row holding that category, category draws follow log(1 + count) and
// generation draws the real frequency (checked against the exact probabilities), seeds reproduce.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tabular } from '../lib/index';
import { codeOf } from './helpers';

const { ConditionSampler, TableEncoder, tableFromColumns } = tabular;

// 1000 rows: segment a:900 b:90 c:10 (a rare class); member true/false 50/50; spend continuous.
const n = 1000;
const table = tableFromColumns({
  spend: Array.from({ length: n }, (_, i) => (i * 7919) % 1000),
  segment: Array.from({ length: n }, (_, i) => (i < 900 ? 'a' : i < 990 ? 'b' : 'c')),
  member: Array.from({ length: n }, (_, i) => i % 2 === 0),
});
const encoder = TableEncoder.fit(table, { continuous: 'minmax' });
const sampler = new ConditionSampler(encoder, table);

test('layout: one slot per categorical level, pointing at the same one-hot in the encoded row', () => {
  assert.equal(
    sampler.spans.map((s) => [s.column, s.start, s.width, s.dataStart]),
    [
      ['segment', 0, 3, 1],
      ['member', 3, 2, 4],
    ],
  );
  assert.is(sampler.width, 5);
  assert.equal(Array.from(sampler.conditionFor({ segment: 'c' })), [0, 0, 1, 0, 0]);
  assert.equal(Array.from(sampler.conditionFor({ member: false })), [0, 0, 0, 0, 1]);
});

test('training draws: the chosen category is held by the chosen row, in the data matrix too', () => {
  const data = encoder.transform(table);
  const batch = sampler.sampleTraining(500, 3);
  for (let b = 0; b < 500; b++) {
    const s = sampler.spans[batch.spans[b]];
    const k = batch.categories[b];
    const cond = Array.from(batch.conditions.subarray(b * 5, b * 5 + 5));
    assert.is(cond.reduce((x, y) => x + y, 0), 1);
    assert.is(cond[s.start + k], 1);
    assert.is(data[batch.rows[b] * encoder.width + s.dataStart + k], 1, `row ${batch.rows[b]} holds ${s.levels[k]}`);
  }
  assert.equal(sampler.sampleTraining(500, 3), batch, 'a seed reproduces the batch');
  assert.not.equal(sampler.sampleTraining(500, 4).rows, batch.rows);
});

test('training draws follow log(1 + count) per column (rare classes boosted); generation follows the real frequency', () => {
  const logs = [Math.log1p(900), Math.log1p(90), Math.log1p(10)];
  const total = logs.reduce((a, b) => a + b, 0);
  const want = logs.map((l) => l / total);
  assert.ok(sampler.trainingProbabilities(0).every((p, i) => Math.abs(p - want[i]) < 1e-12));
  const draws = 40000;
  const batch = sampler.sampleTraining(draws, 11);
  const counts = [0, 0, 0];
  let segmentDraws = 0;
  for (let b = 0; b < draws; b++) {
    if (batch.spans[b] !== 0) continue;
    segmentDraws++;
    counts[batch.categories[b]]++;
  }
  assert.ok(Math.abs(segmentDraws / draws - 0.5) < 0.01, `columns drawn uniformly (${segmentDraws})`);
  counts.forEach((c, i) => assert.ok(Math.abs(c / segmentDraws - want[i]) < 0.01, `level ${i}: ${c / segmentDraws} vs ${want[i]}`));
  assert.ok(counts[2] / segmentDraws > 0.15, 'the 1% class is drawn in ~17.5% of its column’s draws');
  const gen = sampler.sampleConditions(draws, 12);
  const g = [0, 0, 0];
  let gs = 0;
  for (let b = 0; b < draws; b++) {
    for (let k = 0; k < 3; k++) if (gen[b * 5 + k] === 1) (g[k]++, gs++);
  }
  [0.9, 0.09, 0.01].forEach((p, i) => assert.ok(Math.abs(g[i] / gs - p) < 0.01, `generation level ${i}: ${g[i] / gs}`));
});

test('bad input: where on a continuous or unknown column, unknown value, two columns; bad batch sizes', () => {
  assert.is(codeOf(() => sampler.conditionFor({ spend: 3 })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => sampler.conditionFor({ nope: 'a' })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => sampler.conditionFor({ segment: 'zzz' })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => sampler.conditionFor({ segment: 'a', member: true })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => sampler.conditionFor(null as never)), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => sampler.sampleTraining(0, 1)), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => sampler.sampleConditions(1.5, 1)), 'ERR_RECKIT_INVALID_ARG');
  const other = tableFromColumns({ spend: [1], segment: ['q'], member: [true] });
  assert.is(codeOf(() => new ConditionSampler(encoder, other)), 'ERR_RECKIT_INVALID_ARG');
});

test('a table without categorical columns: empty conditions, rows drawn uniformly', () => {
  const t = tableFromColumns({ x: [1, 2, 3, 4] });
  const s = new ConditionSampler(TableEncoder.fit(t, { continuous: 'minmax' }), t);
  assert.is(s.width, 0);
  const b = s.sampleTraining(100, 1);
  assert.is(b.conditions.length, 0);
  assert.ok(b.rows.every((r) => r >= 0 && r < 4));
  assert.equal(new Set(b.rows).size, 4);
});

test.run();
