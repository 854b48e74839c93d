// `reckit quality` end to end (in-process): scores and files on a small CSV pair, one chart per column
// in the HTML, and every bad input with its message and exit code and no output file left behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli';
import { tabular } from '../lib/index';

const run = runCli;

const dir = mkdtempSync(join(tmpdir(), 'reckit-quality-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function csv(rows: number, shift: number, extra?: (i: number) => string): string {
  const lines = [`age,city,spend,income${extra ? ',extra' : ''}`];
  for (let i = 0; i < rows; i++) {
    const age = 20 + ((i * 7 + shift) % 40);
    const city = ['Oslo', 'Bergen', '"Tromsø, N"'][(i + shift) % 3];
    const spend = (age * 1.5 + ((i * 13) % 10)).toFixed(2);
    const income = age > 40 ? '>50K' : '<=50K';
    lines.push(`${age},${city},${spend},${income}${extra ? `,${extra(i)}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

const real = file('real.csv', csv(60, 0));
const synthetic = file('synthetic.csv', csv(45, 3));

test('reckit quality prints the scores and writes the HTML (one chart per column) and JSON', async () => {
  const html = join(dir, 'report.html');
  const json = join(dir, 'report.json');
  const r = await run(['quality', real, synthetic, '--target', 'income', '--html', html, '--json', json]);
  assert.is(r.code, 0, r.err);
  const expected = tabular.qualityReport(tabular.readCsvTable(real), tabular.readCsvTable(synthetic), { target: 'income' });
  assert.match(r.out, new RegExp(`Quality score\\s+${expected.score.toFixed(3)}`));
  assert.match(r.out, /ML efficacy F1/);
  const page = readFileSync(html, 'utf8');
  assert.is(page.match(/<svg class="chart"/g)?.length, 4);
  const heatmap = page.match(/<svg class="heatmap".*?<\/svg>/s)?.[0] ?? '';
  assert.is(heatmap.match(/<rect /g)?.length, 12, 'both triangles of the 6 pairs');
  const worst = [...expected.columnPairTrends.pairs].sort((a, b) => a.score - b.score)[0];
  assert.ok(page.includes(`${worst.columns[0]} × ${worst.columns[1]}</td><td>${worst.metric}</td><td>${worst.score.toFixed(3)}`), 'the weakest pair is listed first');
  for (const name of ['age', 'city', 'spend', 'income']) assert.ok(page.includes(`<h3>${name} <small>`), name);
  assert.ok(page.includes('Tromsø, N'), 'UTF-8 and quoted commas survive into the page');
  const saved = JSON.parse(readFileSync(json, 'utf8'));
  assert.ok(Math.abs(saved.score - expected.score) < 1e-12);
  assert.is(saved.efficacy.positive, expected.efficacy!.positive);
});

test('--test supplies the real holdout for ML efficacy (and needs --target)', async () => {
  const holdout = file('holdout.csv', csv(30, 5));
  const r = await run(['quality', real, synthetic, '--target', 'income', '--test', holdout, '--no-detection']);
  assert.is(r.code, 0, r.err);
  const expected = tabular.qualityReport(tabular.readCsvTable(real), tabular.readCsvTable(synthetic), {
    target: 'income',
    realTest: tabular.readCsvTable(holdout),
    detection: false,
  });
  assert.match(r.out, new RegExp(`ML efficacy F1\\s+${expected.efficacy!.tstrF1.toFixed(3)} .* \\(income = >50K, 30 test rows\\)`));
  assert.is((await run(['quality', real, synthetic, '--test', holdout])).code, 2);
});

const bad: [string, string, string, number, RegExp][] = [
  ['empty file', 'empty.csv', '', 65, /empty/],
  ['header only', 'header.csv', 'age,city,spend,income\n', 65, /header but no data rows/],
  ['ragged rows', 'ragged.csv', 'age,city,spend,income\n30,Oslo,1.5,<=50K\n31,Oslo\n', 65, /ragged rows/],
  ['non-numeric in a numeric column', 'text.csv', csv(10, 0).replace(/\n2\d,/, '\nabc,'), 65, /column 'age' is numeric but data row 1 holds "abc"/],
  ['columns that differ', 'cols.csv', 'age,city,spend\n30,Oslo,1\n', 65, /missing \[income\]/],
];
for (const [what, name, text, code, message] of bad) {
  test(`bad synthetic input: ${what} → exit ${code}, a clear message, no output file`, async () => {
    const html = join(dir, `${name}.html`);
    const r = await run(['quality', real, file(name, text), '--html', html]);
    assert.is(r.code, code);
    assert.match(r.err, message);
    assert.not.ok(existsSync(html));
  });
}

test('bad real input is reported the same way (header only, empty)', async () => {
  let r = await run(['quality', file('h2.csv', 'a,b\n'), synthetic]);
  assert.is(r.code, 65);
  assert.match(r.err, /h2\.csv: the CSV has a header but no data rows/);
  r = await run(['quality', file('e2.csv', '\n\n'), synthetic]);
  assert.is(r.code, 65);
});

test('an identifier-like column (more categories than rows/2) is refused unless dropped', async () => {
  const withId = file('id-real.csv', csv(60, 0, (i) => `user${i}`));
  const synId = file('id-syn.csv', csv(45, 3, (i) => `user${i + 100}`));
  let r = await run(['quality', withId, synId, '--no-detection']);
  assert.is(r.code, 65);
  assert.match(r.err, /column 'extra' of the real data has 60 distinct values in 60 rows \(more than rows\/2\)/);
  r = await run(['quality', withId, synId, '--drop', 'extra', '--no-detection']);
  assert.is(r.code, 0, r.err);
});

test('a constant column is a warning, not a failure', async () => {
  const k = file('k-real.csv', csv(30, 0, () => '7'));
  const ks = file('k-syn.csv', csv(30, 1, () => '7'));
  const r = await run(['quality', k, ks, '--no-detection']);
  assert.is(r.code, 0, r.err);
  assert.match(r.err, /warning: column 'extra' of the real data is constant \(7\)/);
  assert.match(r.out, /note: column 'extra' is constant/);
});

test('usage errors exit 2, a missing input 66, an unwritable output 73 with no temp file left', async () => {
  assert.is((await run(['quality', real])).code, 2);
  assert.is((await run(['quality', real, synthetic, '--bogus'])).code, 2);
  assert.is((await run(['quality', real, synthetic, '--target', 'nope'])).code, 2);
  assert.is((await run(['quality', real, synthetic, '--seed', '-1'])).code, 2);
  const missing = await run(['quality', join(dir, 'nope.csv'), synthetic]);
  assert.is(missing.code, 66);
  assert.match(missing.err, /no such file/);
  const before = readdirSync(dir).sort();
  const r = await run(['quality', real, synthetic, '--no-detection', '--html', join(dir, 'no-such-dir', 'r.html')]);
  assert.is(r.code, 73);
  assert.equal(readdirSync(dir).sort(), before);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
