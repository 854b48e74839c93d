// `reckit demo` / `npm start` at small scale: every step reports, the numbers agree with the split and
// with the shop, the sparse group and the augmentation follow their definitions, recommendations leave
// out what the customer already has and mark held-out hits correctly, CFGAN beats TopPop, the run is
// deterministic, `--data` works on a file, and bad options exit 2 with a message.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo, type DemoOptions, type DemoReport } from '../lib/demo/run-demo';
import { clean, generateShop, itemsByUser, ratioSplit, shopInteractions } from '../lib/index';
import { runCli } from './helpers/cli';

const dir = mkdtempSync(join(tmpdir(), 'reckit-demo-'));
const SMALL: DemoOptions = { users: 500, items: 150, show: 3, progress: false };

async function run(options: DemoOptions): Promise<{ report: DemoReport; lines: string[] }> {
  const lines: string[] = [];
  const report = await runDemo({ ...SMALL, ...options, log: (l) => lines.push(l) });
  return { report, lines };
}

const cli = runCli;

let first: { report: DemoReport; lines: string[] };

test('the small demo runs every step and its numbers match an independent split of the shop', async () => {
  first = await run({});
  const { report, lines } = first;
  for (let s = 1; s <= 7; s++) assert.ok(lines.some((l) => l.startsWith(`[${s}/7]`)), `step ${s} printed`);
  assert.match(lines[lines.length - 1], /^done in /);
  // The same pipeline written out here: shop → carts and purchases → implicit → 75/25 split (seed 42).
  const x = clean(shopInteractions(generateShop({ users: 500, items: 150, seed: 42 }), { events: ['cart', 'purchase'] }), { implicit: true }).interactions;
  const split = ratioSplit(x, { ratio: 0.75, seed: 42 });
  assert.is(report.split.trainRows, split.train.users.length);
  assert.is(report.split.testRows, split.test.users.length);
  assert.equal(report.models[0], 'toppop');
  assert.ok(report.models.includes('cfgan'));
  assert.is(report.results.length, report.models.length);
  for (const r of [...report.results, ...report.sparseResults]) {
    for (const v of Object.values(r.metrics)) assert.ok(Number.isFinite(v), `${r.model}: finite metrics`);
  }
  const pop = report.results[0].metrics.ndcg;
  const gan = report.results[report.models.indexOf('cfgan')].metrics.ndcg;
  assert.ok(gan > 1.3 * pop, `cfgan NDCG ${gan} vs toppop ${pop}`);
  assert.ok(Object.values(report.timings).every((t) => t >= 0) && report.timings.total > 0);
});

test('the sparse group is the fewest-row quarter of evaluable users; augmentation adds perUser rows each', () => {
  const { report } = first;
  const x = clean(shopInteractions(generateShop({ users: 500, items: 150, seed: 42 }), { events: ['cart', 'purchase'] }), { implicit: true }).interactions;
  const split = ratioSplit(x, { ratio: 0.75, seed: 42 });
  const train = itemsByUser(split.train);
  const test = itemsByUser(split.test);
  const evaluable = Array.from({ length: split.train.numUsers }, (_, u) => u).filter((u) => test.offsets[u + 1] > test.offsets[u] && train.offsets[u + 1] > train.offsets[u]);
  const a = report.augmentation;
  assert.is(a.sparseUsers, Math.round(0.25 * evaluable.length));
  assert.is(a.evaluatedUsers, a.sparseUsers);
  assert.is(a.added, 5 * a.sparseUsers);
  assert.is(a.generator, 'cfgan');
  assert.is(report.sparseResults[0].users, a.sparseUsers);
  for (const row of a.rows) {
    assert.ok(['helps', 'hurts', 'no clear effect'].includes(row.verdict));
    const d = row.sparseAfter - row.sparseBefore;
    assert.is(row.verdict, d > 2 * row.sparseStdErr ? 'helps' : d < -2 * row.sparseStdErr ? 'hurts' : 'no clear effect');
    assert.is(row.sparseBefore, report.sparseResults[report.models.indexOf(row.model)].metrics.ndcg);
  }
});

test('printed recommendations: k items, none already seen, names from the shop, ✓ exactly on held-out items', () => {
  const { report } = first;
  const shop = generateShop({ users: 500, items: 150, seed: 42 });
  const names = new Map(shop.items.map((i) => [i.id, i.name]));
  const x = clean(shopInteractions(shop, { events: ['cart', 'purchase'] }), { implicit: true }).interactions;
  const split = ratioSplit(x, { ratio: 0.75, seed: 42 });
  assert.is(report.examples.length, 3);
  const counts = report.examples.map((e) => e.trainItems);
  assert.ok(counts[0] <= counts[1] && counts[1] <= counts[2], 'sparsest, typical, most active');
  for (const e of report.examples) {
    const u = split.train.userIds.indexOf(e.user);
    const seen = new Set<string>(), held = new Set<string>();
    split.train.users.forEach((v, r) => v === u && seen.add(String(split.train.itemIds.idOf(split.train.items[r]))));
    split.test.users.forEach((v, r) => v === u && held.add(String(split.test.itemIds.idOf(split.test.items[r]))));
    assert.is(e.trainItems, seen.size);
    assert.is(e.recommendations.length, 10);
    for (const r of e.recommendations) {
      assert.not.ok(seen.has(String(r.item)), 'no training item is recommended');
      assert.ok(r.label.startsWith(names.get(String(r.item))!), r.label);
      assert.is(r.hit, held.has(String(r.item)));
    }
  }
});

test('deterministic: a second run gives the same metrics and recommendations', async () => {
  const again = await run({});
  assert.equal(again.report.results.map((r) => r.metrics), first.report.results.map((r) => r.metrics));
  assert.equal(again.report.augmentation, first.report.augmentation);
  assert.equal(again.report.examples, first.report.examples);
});

test('reckit demo --data FILE runs on an interaction file and writes JSON', async () => {
  // A user,item,rating,time file with planted structure: users in 4 groups, each buying in its own item block.
  const lines = ['user,item,rating,time'];
  let t = 0;
  for (let u = 0; u < 120; u++) {
    for (let j = 0; j < 4 + (u % 5); j++) lines.push(`u${u},m${(u % 4) * 20 + ((u * 7 + j * 3) % 20)},${1 + ((u + j) % 5)},${t++}`);
  }
  const file = join(dir, 'ratings.csv');
  writeFileSync(file, `${lines.join('\n')}\nnot,a,number,row\n`);
  const json = join(dir, 'demo.json');
  const r = await cli(['demo', '--data', file, '--min-rating', '2', '--cfgan-epochs', '20', '--show', '1', '--json', json]);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, `${file}: `);
  assert.match(r.out, '1 malformed row(s) skipped');
  assert.match(r.out, /rated below 2 dropped/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.is(report.examples.length, 1);
  assert.match(report.examples[0].recommendations[0].label, /^item m\d+$/);
});

test('reckit demo --small (what npm start -- --small runs) completes every step', async () => {
  const r = await cli(['demo', '--small', '--show', '1']);
  assert.is(r.code, 0, r.err);
  assert.match(r.out, '500 customers');
  assert.match(r.out, /\[7\/7\] recommend top-10/);
  assert.match(r.out, /^done in /m);
});

test('bad options exit 2 with a message', async () => {
  const missing = await cli(['demo', '--data', join(dir, 'no-such-file.csv')]);
  assert.is(missing.code, 2);
  assert.match(missing.err, /cannot read/);
  const users = await cli(['demo', '--users', 'many']);
  assert.is(users.code, 2);
  assert.match(users.err, /--users must be an integer/);
  const models = await cli(['demo', '--models', 'nope']);
  assert.is(models.code, 2);
  assert.match(models.err, /'nope' not available/);
  const single = join(dir, 'single.csv');
  writeFileSync(single, 'user,item\na,x\nb,y\nc,x\n');
  const nothing = await cli(['demo', '--data', single]);
  assert.is(nothing.code, 2);
  assert.match(nothing.err, /no held-out interactions/);
  const unrated = await cli(['demo', '--data', single, '--min-rating', '4']);
  assert.is(unrated.code, 2);
  assert.match(unrated.err, /minRating needs a rating column, and the columns read are user,item/);
  const unknown = await cli(['demo', '--colour']);
  assert.is(unknown.code, 2);
});

test.run();
