// The Gaussian mixture and the reversible transforms: planted modes recovered, every transform
// round-trips (categories exactly, numbers within 1e-6 of the column's range through Float32), the
// span layout, the missing-value policy, clamping/rounding on decode, state save/restore, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { random, tabular } from '../lib/index';
import { codeOf } from './helpers';

const { TableEncoder, fitGmm, tableFromColumns } = tabular;

/** 0.3·N(−5, 0.5²) + 0.5·N(0, 1) + 0.2·N(8, 0.7²), laid out deterministically by index. */
function planted(n: number, seed: number): number[] {
  const g = random.normal(n, { seed });
  return Array.from(g, (z, i) => (i % 10 < 3 ? -5 + 0.5 * z : i % 10 < 8 ? z : 8 + 0.7 * z));
}

test('fitGmm recovers the three modes of a planted mixture (means, stds, weights)', () => {
  const m = fitGmm(planted(6000, 5), { seed: 0 });
  assert.is(m.means.length, 3);
  const want = [
    [-5, 0.5, 0.3],
    [0, 1, 0.5],
    [8, 0.7, 0.2],
  ];
  want.forEach(([mu, sd, w], k) => {
    assert.ok(Math.abs(m.means[k] - mu) < 0.1, `mean ${k}: ${m.means[k]}`);
    assert.ok(Math.abs(m.stds[k] / sd - 1) < 0.1, `std ${k}: ${m.stds[k]}`);
    assert.ok(Math.abs(m.weights[k] - w) < 0.02, `weight ${k}: ${m.weights[k]}`);
  });
  assert.equal(fitGmm(planted(6000, 5), { seed: 0 }), m, 'a seed reproduces the fit');
});

test('fitGmm: one Gaussian is one mode; a constant column is one narrow mode; no values is an error', () => {
  const one = fitGmm(Array.from(random.normal(4000, { seed: 3, mean: 10, std: 2 })));
  assert.is(one.means.length, 1);
  assert.ok(Math.abs(one.means[0] - 10) < 0.1 && Math.abs(one.stds[0] - 2) < 0.1);
  assert.is(fitGmm([1, 2, 3, 4, 5, 6]).means.length, 1, 'six values are one mode, not six spikes');
  const c = fitGmm([7, 7, 7, NaN]);
  assert.equal(c.means, [7]);
  assert.ok(c.stds[0] > 0);
  assert.is(codeOf(() => fitGmm([NaN])), 'ERR_RECKIT_INVALID_ARG');
});

function mixedTable() {
  const x = planted(600, 9);
  const spend = x.map((v) => Math.round(v * 100) / 100);
  const visits = x.map((v, i) => (i % 7 === 0 ? null : Math.round(Math.abs(v) * 3)));
  const city = x.map((v, i) => (i % 11 === 0 ? null : v < -2 ? 'Oslo' : v < 4 ? 'Bergen' : 'Tromsø'));
  const member = x.map((_, i) => i % 3 === 0);
  return tableFromColumns({ spend, visits, city, member });
}

for (const method of ['mode', 'minmax', 'standard'] as const) {
  test(`encoder (${method}): inverse(transform(x)) is exact for categories and within 1e-6 of the range for numbers`, () => {
    const t = mixedTable();
    const enc = TableEncoder.fit(t, { continuous: method, gmm: { seed: 1 } });
    const data = enc.transform(t);
    assert.is(data.length, t.rows * enc.width);
    const back = enc.inverse(data);
    t.columns.forEach((c, ci) => {
      const b = back.columns[ci];
      if (c.kind === 'categorical') {
        assert.equal(b.kind === 'categorical' && b.values, c.values);
        return;
      }
      assert.is(b.kind, 'continuous');
      if (b.kind !== 'continuous') return;
      let lo = Infinity;
      let hi = -Infinity;
      for (const v of c.values) if (!Number.isNaN(v)) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      for (let r = 0; r < t.rows; r++) {
        const want = c.values[r];
        if (Number.isNaN(want)) assert.ok(Number.isNaN(b.values[r]), `${c.name}[${r}] stays missing`);
        else if (c.integer) assert.is(b.values[r], want, `${c.name}[${r}] integral and exact`);
        else assert.ok(Math.abs(b.values[r] - want) <= 1e-6 * (hi - lo), `${c.name}[${r}]: ${b.values[r]} vs ${want}`);
      }
    });
  });
}

test('span layout: tanh value then mode softmax, missing flags, category one-hots; rows decode by argmax', () => {
  const t = mixedTable();
  const enc = TableEncoder.fit(t, { gmm: { seed: 1 } });
  const spend = enc.columns[0];
  const modes = spend.kind === 'continuous' && spend.scaler.method === 'mode' ? spend.scaler.gmm.means.length : -1;
  assert.is(modes, 3);
  const kinds = enc.spans.map((s) => `${s.column}:${s.role}:${s.kind}:${s.width}`);
  const visitModes = enc.spansOf('visits')[1].width;
  assert.equal(kinds, [
    'spend:value:tanh:1',
    `spend:mode:softmax:${modes}`,
    'visits:value:tanh:1',
    `visits:mode:softmax:${visitModes}`,
    'visits:missing:softmax:2',
    'city:category:softmax:4',
    'member:category:softmax:2',
  ]);
  let at = 0;
  for (const s of enc.spans) {
    assert.is(s.start, at);
    at += s.width;
  }
  assert.is(enc.width, at);
  // Every one-hot span of every encoded row has exactly one 1; offsets stay within ±0.99.
  const data = enc.transform(t);
  for (let r = 0; r < t.rows; r++) {
    for (const s of enc.spans) {
      const vals = Array.from(data.subarray(r * enc.width + s.start, r * enc.width + s.start + s.width));
      if (s.kind === 'softmax') assert.equal([vals.filter((v) => v === 1).length, vals.filter((v) => v !== 0 && v !== 1).length], [1, 0]);
      else assert.ok(Math.abs(vals[0]) <= 0.99 + 1e-7);
    }
  }
  assert.equal(enc.columns[2].kind === 'categorical' && enc.columns[2].levels, ['Oslo', 'Bergen', 'Tromsø', null]);
});

test('inverse decodes soft generator output: argmax per span, clamped to the fitted range, integers rounded', () => {
  const t = tableFromColumns({ n: [0, 10, 4, 6], c: ['a', 'b', 'a', 'b'] });
  const enc = TableEncoder.fit(t, { continuous: 'minmax' });
  const out = new Float32Array([
    // n value (tanh) | c one-hot (softmax probabilities)
    0.13, 0.3, 0.7,
    5.0, 0.9, 0.1,
    -3, 0.5, 0.49,
  ]);
  const back = enc.inverse(out);
  assert.equal(tabular.tableToRows(back), [
    { n: 6, c: 'b' },
    { n: 10, c: 'a' },
    { n: 0, c: 'a' },
  ]);
  assert.is(codeOf(() => enc.inverse(new Float32Array(4))), 'ERR_RECKIT_DIM_MISMATCH');
  assert.is(codeOf(() => enc.inverse(new Float32Array([0.1, NaN, 0.2]))), 'ERR_RECKIT_OUT_OF_RANGE');
  assert.is(codeOf(() => enc.inverse(new Float32Array([Infinity, 0.5, 0.2]))), 'ERR_RECKIT_OUT_OF_RANGE');
  assert.is(codeOf(() => enc.inverse([1, 2, 3] as unknown as Float32Array)), 'ERR_RECKIT_INVALID_ARG');
});

test('sampled mode selection is seeded and still round-trips', () => {
  const t = mixedTable();
  const enc = TableEncoder.fit(t, { gmm: { seed: 1 } });
  const a = enc.transform(t, { modeSelection: 'sample', seed: 4 });
  const b = enc.transform(t, { modeSelection: 'sample', seed: 4 });
  assert.equal(a, b);
  const back = enc.inverse(a);
  const spend = t.columns[0];
  const got = back.columns[0];
  if (spend.kind !== 'continuous' || got.kind !== 'continuous') throw new Error('kinds');
  for (let r = 0; r < t.rows; r++) assert.ok(Math.abs(got.values[r] - spend.values[r]) < 1e-4, `row ${r}`);
});

test('toJSON/fromJSON restores an identical encoder; malformed states and unseen levels are errors', () => {
  const t = mixedTable();
  const enc = TableEncoder.fit(t, { gmm: { seed: 1 } });
  const copy = TableEncoder.fromJSON(JSON.parse(JSON.stringify(enc.toJSON())));
  assert.equal(copy.spans, enc.spans);
  assert.equal(copy.transform(t), enc.transform(t));
  assert.is(codeOf(() => TableEncoder.fromJSON({ version: 2, columns: [] })), 'ERR_RECKIT_CORRUPT_FILE');
  const bad = enc.toJSON();
  const s0 = bad.columns[0];
  if (s0.kind === 'continuous' && s0.scaler.method === 'mode') s0.scaler.gmm.stds[0] = 0;
  assert.is(codeOf(() => TableEncoder.fromJSON(bad)), 'ERR_RECKIT_CORRUPT_FILE');
  const other = tableFromColumns({ spend: [1], visits: [2], city: ['Paris'], member: [true] });
  assert.is(codeOf(() => enc.transform(other)), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => enc.transform(t, { modeSelection: 'random' as never })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => enc.transform(null as never)), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => TableEncoder.fit({ rows: 0, columns: [] })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => TableEncoder.fit([1, 2] as never)), 'ERR_RECKIT_INVALID_ARG');
  const noMissing = TableEncoder.fit(tableFromColumns({ x: [1, 2, 3] }));
  assert.is(codeOf(() => noMissing.transform(tableFromColumns({ x: [1, null] }))), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => TableEncoder.fit(tableFromColumns({ x: [1, 2] }), { continuous: 'log' as never })), 'ERR_RECKIT_INVALID_ARG');
});

test('fitAsync (worker thread) fits the same encoder; bad options reject with their code', async () => {
  const t = mixedTable();
  const sync = TableEncoder.fit(t, { gmm: { seed: 1 } });
  const async = await TableEncoder.fitAsync(t, { gmm: { seed: 1 } });
  assert.equal(async.toJSON(), sync.toJSON());
  assert.equal(async.transform(t), sync.transform(t));
  let error: unknown;
  try {
    await TableEncoder.fitAsync(t, { continuous: 'log' as never });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof TypeError);
  assert.is((error as { code?: string }).code, 'ERR_RECKIT_INVALID_ARG');
});

test('constant columns encode and decode (min-max → 0, mode → one narrow mode)', () => {
  const t = tableFromColumns({ k: [3, 3, 3], c: ['z', 'z', 'z'] });
  for (const continuous of ['mode', 'minmax', 'standard'] as const) {
    const enc = TableEncoder.fit(t, { continuous });
    assert.equal(tabular.tableToRows(enc.inverse(enc.transform(t))), [
      { k: 3, c: 'z' },
      { k: 3, c: 'z' },
      { k: 3, c: 'z' },
    ]);
  }
});

test.run();
