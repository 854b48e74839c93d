// Loading interaction files: separators, header or not, columns by role or by name, string and numeric
// ids, malformed rows counted, and clear errors with codes for files that cannot be used.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadInteractions, loadInteractionsSync, parseInteractions, parseInteractionsAsync } from '../lib/index';

const code = (c: string) => (e: any) => e.code === c;

test('MovieLens-style TSV without a header: default columns, numeric ids, dense indices both ways', () => {
  const { interactions: x, report } = parseInteractions('196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t302\t1\t878887116\n');
  assert.is(report.separator, '\t');
  assert.is(report.header, null);
  assert.equal(report.columns.map((c) => c.role), ['user', 'item', 'rating', 'time']);
  assert.is(report.userIdType, 'number');
  assert.equal(x.userIds.toArray(), [196, 186]);
  assert.equal(x.itemIds.toArray(), [242, 302]);
  assert.equal(Array.from(x.users), [0, 1, 0]);
  assert.equal(Array.from(x.items), [0, 1, 1]);
  assert.equal(Array.from(x.ratings), [3, 3, 1]);
  assert.equal(Array.from(x.times), [881250949, 891717742, 878887116]);
  assert.ok(x.hasTime);
  assert.is(x.userIds.indexOf('186'), 1); // a number id is found by its text too
  assert.is(x.itemIds.idOf(1), 302);
});

test('CSV with a header and string ids; CRLF and a BOM; columns named by the header', () => {
  const text = '\ufeffcustomer_id,event,product_id,qty,timestamp\r\nC-1,view,SKU-9,1,100\r\nC-2,buy,SKU-9,2,101\r\nC-1,buy,SKU-3,1,102\r\n';
  const { interactions: x, report } = parseInteractions(text);
  assert.is(report.separator, ',');
  assert.equal(report.header, ['customer_id', 'event', 'product_id', 'qty', 'timestamp']);
  assert.equal(report.columns.map((c) => [c.role, c.field]), [['user', 0], ['item', 2], ['rating', 3], ['time', 4]]);
  assert.is(report.userIdType, 'string');
  assert.equal(x.userIds.toArray(), ['C-1', 'C-2']);
  assert.equal(x.itemIds.toArray(), ['SKU-9', 'SKU-3']);
  assert.equal(Array.from(x.ratings), [1, 2, 1]);
  // Picking header names explicitly gives the same result; an unknown name is an error.
  const picked = parseInteractions(text, { columns: 'user=customer_id,item=product_id' }).interactions;
  assert.equal(Array.from(picked.items), Array.from(x.items));
  assert.equal(Array.from(picked.ratings), [1, 1, 1]);
  assert.throws(() => parseInteractions(text, { columns: 'user=customer_id,item=sku' }), code('ERR_RECKIT_INVALID_ARG'));
});

test('positional columns with skips, the :: separator, and quoted fields', () => {
  const ml1m = parseInteractions('1::1193::5::978300760\n1::661::3::978302109\n', { columns: 'user,item,_,time' });
  assert.is(ml1m.report.separator, '::');
  assert.equal(Array.from(ml1m.interactions.ratings), [1, 1]);
  assert.equal(Array.from(ml1m.interactions.times), [978300760, 978302109]);
  const quoted = parseInteractions('user;item;rating\n"Smith; J.";"Mug ""XL""";4\nann;cup;5\n');
  assert.is(quoted.report.separator, ';');
  assert.equal(quoted.interactions.userIds.toArray(), ['Smith; J.', 'ann']);
  assert.equal(quoted.interactions.itemIds.toArray(), ['Mug "XL"', 'cup']);
  const dated = parseInteractions('user,item,date\nu,i,2024-03-01T00:00:00Z\n');
  assert.equal(Array.from(dated.interactions.times), [Date.parse('2024-03-01T00:00:00Z')]);
});

test('malformed rows are counted with line numbers and skipped, not fatal', () => {
  const text = ['user,item,rating', 'a,x,5', 'b,y', 'c,z,notanumber', ',x,3', '"d,x,1', '', 'e,x,Infinity', 'f,y,2'].join('\n');
  const { interactions: x, report } = parseInteractions(text);
  assert.is(report.loaded, 2);
  assert.is(report.malformed, 5);
  assert.is(report.lines, 7);
  assert.equal(report.examples.map((e) => e.line), [3, 4, 5, 6, 8]);
  assert.match(report.examples[0].reason, /2 field/);
  assert.match(report.examples[1].reason, /rating/);
  assert.match(report.examples[2].reason, /empty user/);
  assert.match(report.examples[3].reason, /quote/);
  assert.equal(x.userIds.toArray(), ['a', 'f']);
});

test('unusable input: empty, header only, all malformed, unknown columns, missing file', async () => {
  assert.throws(() => parseInteractions(''), code('ERR_RECKIT_CORRUPT_FILE'));
  assert.throws(() => parseInteractions('\n \n'), code('ERR_RECKIT_CORRUPT_FILE'));
  assert.throws(() => parseInteractions('user,item\n'), code('ERR_RECKIT_CORRUPT_FILE'));
  assert.throws(() => parseInteractions('a\tb\tx\nc\td\ty\n', { columns: 'user,item,rating' }), (e: any) => e.code === 'ERR_RECKIT_CORRUPT_FILE' && /all 2 data line/.test(e.message));
  assert.throws(() => parseInteractions('1,2\n', { columns: 'user,item,stars' }), (e: any) => e.code === 'ERR_RECKIT_INVALID_ARG' && /unknown column 'stars'/.test(e.message));
  assert.throws(() => parseInteractions('1,2\n', { columns: 'user,user' }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => parseInteractions('1,2\n', { columns: 'item,rating' }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => parseInteractions('name,price,colour\na,1,red\n', { header: true }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => parseInteractions('justonefield\nanother\n'), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => parseInteractions('1,2\n', { sep: '' }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => loadInteractionsSync('/nonexistent/reckit/file.csv'), code('ERR_RECKIT_IO'));
  await loadInteractions('/nonexistent/reckit/file.csv').then(
    () => assert.unreachable('should reject'),
    (e) => assert.is(e.code, 'ERR_RECKIT_IO'),
  );
});

test('loadInteractions reads files (async and sync) with an explicit separator', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reckit-load-'));
  const path = join(dir, 'log.txt');
  writeFileSync(path, '7|100|2\n8|100|4\n7|101|5\n');
  const a = await loadInteractions(path, { sep: '|' });
  const b = loadInteractionsSync(path, { sep: '|' });
  assert.equal(Array.from(a.interactions.users), [0, 1, 0]);
  assert.equal(Array.from(b.interactions.ratings), [2, 4, 5]);
  assert.not.ok(a.interactions.hasTime);
  assert.equal(Array.from(a.interactions.times), [0, 1, 2]);
});

test('the async parser gives the same result and lets the event loop run while it parses', async () => {
  const lines = ['user,item,rating'];
  for (let r = 0; r < 200_000; r++) lines.push(`u${r % 997},i${(r * 31) % 1009},${1 + (r % 5)}`);
  lines.splice(1000, 0, 'broken');
  const text = lines.join('\n');
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  const a = await parseInteractionsAsync(text);
  clearInterval(timer);
  assert.ok(ticks > 0, 'timers ran during the parse');
  const b = parseInteractions(text);
  assert.equal(Array.from(a.interactions.items), Array.from(b.interactions.items));
  assert.equal(a.report, b.report);
  assert.is(a.report.malformed, 1);
  assert.is(a.report.examples[0].line, 1001);
  await parseInteractionsAsync('').then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_CORRUPT_FILE'));
});

test.run();
