// TabularSynthesizer: learns a planted distribution (column-shape score above a bound, and better pair
// trends than independent columns), honours where-conditions, keeps integers integral and values in
// range, round-trips through save/load with identical seeded samples, and rejects bad input by code.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TabularSynthesizer, qualityReport, tabular } from '../lib/index';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
}

// A planted table: segment (60/30/10 %), spend depends on segment (two modes), visits an integer
// correlated with spend, a boolean flag tied to segment, and a few missing spends.
function planted(n: number, seed: number): Record<string, string | number | boolean | null>[] {
  const u = lcg(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const rows = [];
  for (let i = 0; i < n; i++) {
    const p = u();
    const segment = p < 0.6 ? 'casual' : p < 0.9 ? 'regular' : 'vip';
    const spend = segment === 'casual' ? 20 + 5 * gauss() : segment === 'regular' ? 80 + 10 * gauss() : 300 + 30 * gauss();
    const visits = Math.max(0, Math.round(spend / 20 + gauss()));
    const member = segment === 'vip' ? true : u() < 0.2;
    rows.push({ segment, spend: i % 50 === 7 ? null : Math.round(spend * 100) / 100, visits, member });
  }
  return rows;
}

const real = planted(1500, 1);
const options = { epochs: 60, batchSize: 100, pac: 5, noiseDim: 16, generator: [64, 64], discriminator: [64, 64], lr: 1e-3, seed: 4 };
let model: TabularSynthesizer;

test('fits with progress and learns the column shapes and the pair trends', async () => {
  model = new TabularSynthesizer(options);
  const seen: number[] = [];
  await model.fit(real, { onProgress: (p) => seen.push(p.epoch) });
  assert.equal(seen, Array.from({ length: 60 }, (_, i) => i));
  const d = model.describe();
  assert.equal(d.columns.map((c) => c.kind), ['categorical', 'continuous', 'continuous', 'categorical']);
  assert.is(d.columns[2].integer, true);

  const synthetic = await model.sample(1500, { seed: 1 });
  const report = qualityReport(tabular.tableFromRows(real), tabular.tableFromRows(synthetic), { detection: false });
  assert.ok(report.columnShapes.score > 0.8, `column shapes ${report.columnShapes.score}`);
  // Independent columns: each column shuffled on its own keeps the shapes and destroys the pairs.
  const u = lcg(99);
  const shuffled = real.map(() => {
    const row: Record<string, string | number | boolean | null> = {};
    for (const k of Object.keys(real[0])) row[k] = real[Math.floor(u() * real.length)][k];
    return row;
  });
  const baseline = qualityReport(tabular.tableFromRows(real), tabular.tableFromRows(shuffled), { detection: false });
  assert.ok(
    report.columnPairTrends.score > baseline.columnPairTrends.score,
    `pair trends ${report.columnPairTrends.score} vs independent ${baseline.columnPairTrends.score}`,
  );
  for (const r of synthetic) {
    assert.ok(Number.isInteger(r.visits), `visits ${r.visits}`);
    assert.ok((r.visits as number) >= 0 && (r.visits as number) <= Math.max(...real.map((x) => x.visits as number)));
    if (r.spend !== null) assert.ok((r.spend as number) >= Math.min(...real.filter((x) => x.spend !== null).map((x) => x.spend as number)));
    assert.type(r.member, 'boolean');
  }
  // 2 % of real spends are missing: the missing flag is learned, not dropped (31 of 1500 at this seed).
  const missing = synthetic.filter((r) => r.spend === null).length;
  assert.ok(missing >= 5 && missing <= 100, `missing spends ${missing}`);
});

test('where returns only rows with the value, and rebalances a rare class', async () => {
  const vip = await model.sample(200, { where: { segment: 'vip' }, seed: 2 });
  assert.is(vip.length, 200);
  assert.ok(vip.every((r) => r.segment === 'vip'));
  // The conditional rows follow the planted dependency: vip spend is high.
  const spends = vip.filter((r) => r.spend !== null).map((r) => r.spend as number);
  const mean = spends.reduce((a, b) => a + b, 0) / spends.length;
  assert.ok(mean > 150, `mean vip spend ${mean}`);
  const members = await model.sample(50, { where: { member: true }, seed: 3 });
  assert.ok(members.every((r) => r.member === true));
});

test('save/load (file and buffer) gives identical samples for a seed', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'reckit-synth-'));
  const file = path.join(dir, 'm.safetensors');
  model.save(file);
  const loaded = TabularSynthesizer.load(file);
  assert.equal(await loaded.sample(100, { seed: 7 }), await model.sample(100, { seed: 7 }));
  assert.equal(await loaded.sample(20, { where: { segment: 'regular' }, seed: 8 }), await model.sample(20, { where: { segment: 'regular' }, seed: 8 }));
  const copy = TabularSynthesizer.fromBuffer(model.toBuffer());
  assert.equal(await copy.sample(30, { seed: 5 }), await model.sample(30, { seed: 5 }));
  // Unseeded calls differ from each other.
  assert.not.equal(await model.sample(10), await model.sample(10));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('column arrays and kind overrides; missing values come back as missing', async () => {
  const cols = { code: real.map((r) => (r.visits as number) % 3), spend: real.map((r) => r.spend) };
  const s = new TabularSynthesizer({ ...options, epochs: 5, columns: { code: { kind: 'categorical' } } });
  await s.fit(cols);
  assert.is(s.describe().columns[0].kind, 'categorical');
  const out = await s.sample(500, { seed: 1 });
  assert.ok(out.every((r) => [0, 1, 2].includes(r.code as number)));
  s.dispose();
});

async function rejects(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    assert.is((e as { code?: string }).code, code, (e as Error).message);
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test('maxSeconds stops at a whole epoch and leaves a usable model; bad budgets are rejected', async () => {
  // A budget far below one epoch's time: exactly one epoch runs (the check follows each whole epoch).
  const s = new TabularSynthesizer({ ...options, epochs: 50 });
  const seen: { epoch: number; etaMs: number }[] = [];
  const { epochs } = await s.fit(real, { maxSeconds: 1e-9, onProgress: (p) => seen.push({ epoch: p.epoch, etaMs: p.etaMs }) });
  assert.is(epochs, 1);
  assert.equal(seen, [{ epoch: 0, etaMs: 0 }]);
  assert.is(s.describe().epochs, 1);
  const rows = await s.sample(40, { seed: 3 });
  assert.is(rows.length, 40);
  assert.ok(rows.every((r) => ['casual', 'regular', 'vip'].includes(r.segment as string)));
  // Round trip: the stopped model saves and loads like any other.
  assert.equal(await TabularSynthesizer.fromBuffer(s.toBuffer()).sample(10, { seed: 4 }), await s.sample(10, { seed: 4 }));
  // A generous budget runs every epoch.
  const full = new TabularSynthesizer({ ...options, epochs: 2 });
  assert.equal(await full.fit(real, { maxSeconds: 3600 }), { epochs: 2 });
  for (const bad of [0, -1, NaN, Infinity]) await rejects(new TabularSynthesizer(options).fit(real, { maxSeconds: bad }), 'ERR_RECKIT_OUT_OF_RANGE');
  await rejects(new TabularSynthesizer(options).fit(real, { maxSeconds: '5' as unknown as number }), 'ERR_RECKIT_INVALID_ARG');
  s.dispose();
  full.dispose();
});

test('bad input is rejected with codes', async () => {
  await rejects(() => new TabularSynthesizer({ epochs: 0 }), 'ERR_RECKIT_OUT_OF_RANGE');
  await rejects(() => new TabularSynthesizer({ continuous: 'log' as 'mode' }), 'ERR_RECKIT_INVALID_ARG');
  await rejects(new TabularSynthesizer().sample(5), 'ERR_RECKIT_INVALID_ARG');
  await rejects(new TabularSynthesizer(options).fit([]), 'ERR_RECKIT_INVALID_ARG');
  await rejects(new TabularSynthesizer(options).fit(real.map((r, i) => ({ ...r, id: `u${i}` }))), 'ERR_RECKIT_INVALID_ARG');
  await rejects(model.sample(5, { where: { spend: 3 } }), 'ERR_RECKIT_INVALID_ARG');
  await rejects(model.sample(5, { where: { segment: 'nope' } }), 'ERR_RECKIT_INVALID_ARG');
  await rejects(model.sample(5, { where: { segment: 'vip', member: true } }), 'ERR_RECKIT_INVALID_ARG');
  await rejects(model.sample(0), 'ERR_RECKIT_OUT_OF_RANGE');
  await rejects(model.sample(3, { seed: -1 }), 'ERR_RECKIT_OUT_OF_RANGE');
  await rejects(() => new TabularSynthesizer({ seed: 1.5 }), 'ERR_RECKIT_OUT_OF_RANGE');
  await rejects(() => TabularSynthesizer.fromBuffer(Buffer.from('not a model')), 'ERR_RECKIT_CORRUPT_FILE');
  const controller = new AbortController();
  const s = new TabularSynthesizer({ ...options, epochs: 1000 });
  const run = s.fit(real, { signal: controller.signal, onProgress: (p) => p.epoch === 1 && controller.abort() });
  try {
    await run;
    assert.unreachable('abort');
  } catch (e) {
    assert.is((e as Error).name, 'AbortError');
  }
  assert.is(s.fitted, false);
});

test.run();
