// Tables and CSV: kind inference, the missing-value policy, CSV quoting/UTF-8 round trips, bad input
// with its codes, and atomic writes that leave nothing behind on failure.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tabular, isReckitError } from '../lib/index';
import { codeOf } from './helpers';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'reckit-csv-'));
  dirs.push(d);
  return d;
};

const { tableFromRows, tableFromColumns, tableFromStrings, tableToRows, parseCsv, readCsvTable, writeCsvTable, formatCsv } = tabular;

test('kinds are inferred: numbers continuous (integers kept integral), strings and booleans categorical', () => {
  const t = tableFromRows([
    { age: 30, score: 1.5, city: 'Oslo', member: true },
    { age: 41, score: 2, city: 'Bergen', member: false },
    { age: null, score: 3.25, city: null, member: true },
  ]);
  const [age, score, city, member] = t.columns;
  assert.is(age.kind, 'continuous');
  assert.is(age.kind === 'continuous' && age.integer, true);
  assert.ok(age.kind === 'continuous' && Number.isNaN(age.values[2]));
  assert.is(score.kind === 'continuous' && score.integer, false);
  assert.is(city.kind, 'categorical');
  assert.equal(city.kind === 'categorical' && city.values, ['Oslo', 'Bergen', null]);
  assert.is(member.kind === 'categorical' && member.valueType, 'boolean');
  assert.equal(tableToRows(t)[1], { age: 41, score: 2, city: 'Bergen', member: false });
  assert.equal(tableToRows(t)[2], { age: null, score: 3.25, city: null, member: true });
});

test('overrides: a numeric code column declared categorical gives numbers back', () => {
  const t = tableFromColumns({ zip: [1000, 2000, 1000], v: [1, 2, 3] }, { columns: { zip: { kind: 'categorical' } } });
  assert.is(t.columns[0].kind, 'categorical');
  assert.equal(tableToRows(t).map((r) => r.zip), [1000, 2000, 1000]);
  assert.is(codeOf(() => tableFromColumns({ a: [1] }, { columns: { b: { kind: 'categorical' } } })), 'ERR_RECKIT_INVALID_ARG');
});

test('bad tables: ragged columns, mismatched records, non-finite numbers, wrong cell types', () => {
  assert.is(codeOf(() => tableFromColumns({ a: [1, 2], b: [1] })), 'ERR_RECKIT_DIM_MISMATCH');
  assert.is(codeOf(() => tableFromRows([{ a: 1, b: 2 }, { a: 1 }])), 'ERR_RECKIT_DIM_MISMATCH');
  assert.is(codeOf(() => tableFromRows([])), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => tableFromColumns({ a: [1, Infinity] })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => tableFromColumns({ a: [1, {} as unknown as number] })), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => tableFromColumns({ a: ['x', 'y'] }, { columns: { a: { kind: 'continuous' } } })), 'ERR_RECKIT_INVALID_ARG');
});

test('CSV: quoted commas, quotes, newlines, CRLF, BOM and UTF-8 are read as written', () => {
  const text = '\ufeffname,note,n\r\n"Smith, J.","said ""hi""",1\r\n"Ødegård","two\nlines",2\r\n';
  const { header, records } = parseCsv(text);
  assert.equal(header, ['name', 'note', 'n']);
  assert.equal(records, [
    ['Smith, J.', 'said "hi"', '1'],
    ['Ødegård', 'two\nlines', '2'],
  ]);
  const t = tableFromStrings(header, records);
  const again = parseCsv(formatCsv(t));
  assert.equal(again.records, records);
});

test('CSV from strings: "?" and empty cells are missing; numeric columns must be numeric throughout', () => {
  const t = tableFromStrings(['a', 'b'], [['1', 'x'], ['?', ''], ['3', 'y']]);
  assert.ok(t.columns[0].kind === 'continuous' && Number.isNaN(t.columns[0].values[1]));
  assert.equal(t.columns[1].kind === 'categorical' && t.columns[1].values, ['x', null, 'y']);
  const rows = Array.from({ length: 20 }, (_, i) => [String(i)]);
  rows[13] = ['thirteen'];
  let message = '';
  try {
    tableFromStrings(['n'], rows);
  } catch (e) {
    message = (e as Error).message;
    assert.is((e as { code?: string }).code, 'ERR_RECKIT_INVALID_ARG');
  }
  assert.match(message, /column 'n' is numeric in 19 of 20 rows but data row 14 holds "thirteen"/);
});

test('CSV bad input: empty, header only, ragged rows, invalid UTF-8, missing file', () => {
  assert.is(codeOf(() => parseCsv('')), 'ERR_RECKIT_INVALID_ARG');
  assert.is(codeOf(() => parseCsv('a,b\n')), 'ERR_RECKIT_INVALID_ARG');
  let message = '';
  try {
    parseCsv('a,b\n1,2\n3\n');
  } catch (e) {
    message = (e as Error).message;
  }
  assert.match(message, /ragged rows/);
  const dir = tempDir();
  writeFileSync(join(dir, 'bad.csv'), Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x0a]));
  assert.is(codeOf(() => readCsvTable(join(dir, 'bad.csv'))), 'ERR_RECKIT_CORRUPT_FILE');
  assert.is(codeOf(() => readCsvTable(join(dir, 'nope.csv'))), 'ERR_RECKIT_IO');
});

test('writeCsvTable writes atomically and leaves no file behind when the target cannot be written', () => {
  const dir = tempDir();
  const t = tableFromColumns({ x: [1, 2.5, null], s: ['a,b', null, 'c'], f: [true, false, true] });
  const path = join(dir, 'out.csv');
  writeCsvTable(path, t);
  assert.is(readFileSync(path, 'utf8'), 'x,s,f\n1,"a,b",true\n2.5,,false\n,c,true\n');
  assert.equal(readdirSync(dir), ['out.csv']);
  const back = readCsvTable(path);
  assert.equal(tableToRows(back), [
    { x: 1, s: 'a,b', f: 'true' },
    { x: 2.5, s: null, f: 'false' },
    { x: null, s: 'c', f: 'true' },
  ]);
  let error: unknown;
  try {
    writeCsvTable(join(dir, 'missing-dir', 'out.csv'), t);
  } catch (e) {
    error = e;
  }
  assert.ok(isReckitError(error, 'ERR_RECKIT_IO'));
  assert.equal(readdirSync(dir), ['out.csv']);
});

test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

test.run();
