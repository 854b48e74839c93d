// `reckit synth` end to end (in-process): trains on a small CSV and writes the requested rows, honours
// --where, saves a model that --load samples from with the same seed, and refuses every bad input with
// its exit code and message, leaving no output file behind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './helpers/cli';
import { tabular } from '../lib/index';

const run = runCli;

const dir = mkdtempSync(join(tmpdir(), 'reckit-synth-'));
const file = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

function csv(rows: number, extra?: (i: number) => string): string {
  const lines = [`age,city,spend,income${extra ? ',extra' : ''}`];
  for (let i = 0; i < rows; i++) {
    const age = 20 + ((i * 7) % 40);
    const city = ['Oslo', 'Bergen', '"Tromsø, N"'][i % 3];
    const spend = (age * 1.5 + ((i * 13) % 10)).toFixed(2);
    const income = age > 50 ? '>50K' : '<=50K';
    lines.push(`${age},${city},${spend},${income}${extra ? `,${extra(i)}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

const data = file('data.csv', csv(120));
const fast = ['--epochs', '3', '--batch-size', '40', '--pac', '4', '--seed', '5'];

test('trains, writes N rows with the same header, saves a model; --load reproduces the rows for a seed', async () => {
  const out = join(dir, 'syn.csv');
  const model = join(dir, 'm.safetensors');
  const r = await run(['synth', data, '--rows', '75', '--out', out, '--model', model, ...fast]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /trained 3 epochs on 120 rows × 4 columns/);
  assert.match(r.out, /wrote 75 rows to /);
  const table = tabular.readCsvTable(out);
  assert.is(table.rows, 75);
  assert.equal(table.columns.map((c) => c.name), ['age', 'city', 'spend', 'income']);
  const cities = new Set((table.columns[1] as { values: (string | null)[] }).values);
  for (const c of cities) assert.ok(['Oslo', 'Bergen', 'Tromsø, N'].includes(c as string), String(c));
  const again = join(dir, 'again.csv');
  const l = await run(['synth', '--load', model, '--rows', '75', '--out', again, '--seed', '5']);
  assert.is(l.code, 0, l.err);
  assert.is(readFileSync(again, 'utf8'), readFileSync(out, 'utf8'));
});

test('--max-seconds stops training at a whole epoch and still writes the rows', async () => {
  const out = join(dir, 'budget.csv');
  const r = await run(['synth', data, '--rows', '20', '--out', out, ...fast.slice(2), '--epochs', '500', '--max-seconds', '0.000001']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, /trained 1 epochs on 120 rows/);
  assert.is(tabular.readCsvTable(out).rows, 20);
  for (const bad of ['0', '-2', 'soon', '']) {
    const b = await run(['synth', data, '--rows', '5', '--out', out, `--max-seconds=${bad}`]);
    assert.is(b.code, 2, `--max-seconds ${bad}`);
    assert.match(b.err, /--max-seconds must be a number of seconds > 0/);
  }
});

test('--where keeps only rows with that value', async () => {
  const out = join(dir, 'where.csv');
  const r = await run(['synth', data, '--rows', '30', '--out', out, '--where', 'city=Bergen', ...fast.slice(0, 6), '--epochs', '40']);
  assert.is(r.code, 0, r.err);
  const city = tabular.readCsvTable(out).columns[1] as { values: (string | null)[] };
  assert.is(city.values.length, 30);
  assert.ok(city.values.every((v) => v === 'Bergen'));
});

const bad: [string, string, string, number, RegExp][] = [
  ['empty file', 'empty.csv', '', 65, /empty/],
  ['header only', 'header.csv', 'age,city\n', 65, /header but no data rows/],
  ['ragged rows', 'ragged.csv', 'age,city\n30,Oslo\n31\n', 65, /ragged rows/],
  ['non-numeric in a numeric column', 'text.csv', csv(20).replace(/\n2\d,/, '\nabc,'), 65, /column 'age' is numeric in 19 of 20 rows but data row 1 holds "abc"/],
  ['an identifier-like column', 'id.csv', csv(30, (i) => `user${i}`), 65, /more than rows\/2/],
];
for (const [what, name, text, code, message] of bad) {
  test(`bad data: ${what} → exit ${code}, a clear message, no output file`, async () => {
    const out = join(dir, `${name}.out.csv`);
    const r = await run(['synth', file(name, text), '--rows', '10', '--out', out, ...fast]);
    assert.is(r.code, code, r.err);
    assert.match(r.err, message);
    assert.not.ok(existsSync(out));
  });
}

test('usage errors exit 2 (absurd --rows, bad --where), a missing input 66, an unwritable output 73', async () => {
  const out = join(dir, 'u.csv');
  const before = readdirSync(dir).sort();
  assert.is((await run(['synth', data, '--rows', '-3', '--out', out])).code, 2);
  for (const rows of ['0', 'many', '1e12', '100000001']) {
    const r = await run(['synth', data, '--rows', rows, '--out', out]);
    assert.is(r.code, 2, `--rows ${rows}`);
    assert.match(r.err, /--rows must be an integer between 1 and 100000000/);
  }
  assert.is((await run(['synth', data, '--out', out])).code, 2);
  assert.is((await run(['synth', data, '--rows', '5'])).code, 2);
  assert.is((await run(['synth', data, '--rows', '5', '--out', out, '--bogus'])).code, 2);
  let r = await run(['synth', data, '--rows', '5', '--out', out, '--where', 'spend=3']);
  assert.is(r.code, 2);
  assert.match(r.err, /column 'spend' is continuous/);
  r = await run(['synth', data, '--rows', '5', '--out', out, '--where', 'city=Paris']);
  assert.is(r.code, 2);
  assert.match(r.err, /no value "Paris"/);
  r = await run(['synth', join(dir, 'nope.csv'), '--rows', '5', '--out', out]);
  assert.is(r.code, 66);
  assert.match(r.err, /no such file/);
  r = await run(['synth', '--load', join(dir, 'nope.safetensors'), '--rows', '5', '--out', out]);
  assert.is(r.code, 66);
  r = await run(['synth', '--load', data, '--rows', '5', '--out', out]);
  assert.is(r.code, 65);
  r = await run(['synth', data, '--rows', '5', '--out', join(dir, 'no-such-dir', 'x.csv'), ...fast]);
  assert.is(r.code, 73);
  assert.equal(readdirSync(dir).sort(), before);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));

test.run();
