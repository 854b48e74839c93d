// TopPop and the Recommender contract: recommendations against a JS count-and-sort reference, cold start,
// bad input with codes, dispose, save/load, and the evaluator against the reference metrics.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  TopPop, createModel, evaluate, evaluateModel, fromRows, leaveOneOut, loadModel, modelNames, ratioSplit,
  generateShop, shopInteractions, clean, Rng, sparsestUsers, type Interactions,
} from '../lib/index';
import { checkRecommenderContract } from './recsys-contract';
import { mean, referenceUser } from './recsys-reference';

const code = (c: string) => (e: any) => e.code === c;

function randomLog(seed: number, users = 30, items = 25): Interactions {
  const rng = new Rng(seed);
  const rows = [];
  for (let u = 0; u < users; u++) {
    const n = 2 + rng.int(10);
    for (let j = 0; j < n; j++) rows.push({ user: `user${u}`, item: 1000 + Math.floor(Math.pow(rng.next(), 2) * items), time: rng.int(10000) });
  }
  return clean(fromRows(rows)).interactions;
}

/** Reference TopPop: count rows per item id, sort by count desc then index. */
function referenceTop(x: Interactions, exclude: Set<number>, k: number): number[] {
  const counts = new Array(x.numItems).fill(0);
  for (const i of x.items) counts[i]++;
  return counts.map((_, i) => i).filter((i) => !exclude.has(i)).sort((a, b) => counts[b] - counts[a] || a - b).slice(0, k);
}

test('recommend: most popular unseen items with their counts, ids mapped back', async () => {
  const x = randomLog(1);
  const model = new TopPop();
  await model.fit(x);
  assert.ok(model.fitted);
  for (let u = 0; u < x.numUsers; u++) {
    const seen = new Set<number>();
    for (let r = 0; r < x.users.length; r++) if (x.users[r] === u) seen.add(x.items[r]);
    const recs = model.recommend(x.userIds.idOf(u), { k: 5 });
    assert.equal(recs.map((r) => r.index), referenceTop(x, seen, 5));
    for (const r of recs) {
      assert.is(r.item, x.itemIds.idOf(r.index));
      assert.is(r.score, Array.from(x.items).filter((i) => i === r.index).length);
    }
    const withSeen = model.recommend(x.userIds.idOf(u), { k: 5, excludeSeen: false });
    assert.equal(withSeen.map((r) => r.index), referenceTop(x, new Set(), 5));
  }
  // similarItems: the most popular other items.
  const sim = model.similarItems(x.itemIds.idOf(0), { k: 4 });
  assert.equal(sim.map((r) => r.index), referenceTop(x, new Set([0]), 4));
});

test('bad input: unknown user/item, k out of range, wrong types, not fitted, disposed', async () => {
  const x = randomLog(2);
  const model = new TopPop();
  assert.throws(() => model.recommend('user0'), code('ERR_RECKIT_INVALID_ARG')); // not fitted
  await model.fit(x);
  assert.throws(() => model.recommend('nobody'), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE' && e instanceof RangeError && /unknown user 'nobody'/.test(e.message));
  const cold = model.recommend('nobody', { k: 3, coldStart: 'popular' });
  assert.equal(cold.map((r) => r.index), referenceTop(x, new Set(), 3));
  assert.throws(() => model.similarItems('no-such-item'), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend('user0', { k: x.numItems + 1 }), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE' && /larger than the catalogue/.test(e.message));
  assert.throws(() => model.similarItems(x.itemIds.idOf(0), { k: x.numItems }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend('user0', { k: 0 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend('user0', { k: 2.5 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => model.recommend('user0', { k: '3' as any }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => model.recommend({} as any), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => model.recommend('user0', { excludeSeen: 1 as any }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => model.scoreUsers(Int32Array.of(x.numUsers)), code('ERR_RECKIT_OUT_OF_RANGE'));
  await model.fit({} as any).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_INVALID_ARG'));
  // The failed fit left the model as it was.
  assert.is(model.recommend('user0', { k: 2 }).length, 2);
  // k within the catalogue but more than the unseen items: fewer come back.
  const all = model.recommend('user0', { k: x.numItems });
  assert.ok(all.length < x.numItems);
  model.dispose();
  assert.throws(() => model.recommend('user0'), code('ERR_RECKIT_DISPOSED'));
  await model.fit(x).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_DISPOSED'));
});

test('save/load and toBuffer round-trip; corrupt files raise CORRUPT_FILE', async () => {
  const x = randomLog(3);
  const model = new TopPop();
  await model.fit(x);
  const dir = mkdtempSync(join(tmpdir(), 'reckit-toppop-'));
  const path = join(dir, 'toppop.safetensors');
  model.save(path);
  const loaded = TopPop.load(path);
  const viaRegistry = loadModel(model.toBuffer());
  assert.is(viaRegistry.name, 'toppop');
  for (const u of ['user0', 'user5', 'user17']) {
    assert.equal(loaded.recommend(u, { k: 6 }), model.recommend(u, { k: 6 }));
    assert.equal(viaRegistry.recommend(u, { k: 6 }), model.recommend(u, { k: 6 }));
  }
  const buf = model.toBuffer();
  const truncated = buf.subarray(0, buf.length - 7);
  assert.throws(() => TopPop.load(truncated), code('ERR_RECKIT_CORRUPT_FILE'));
  const flipped = Buffer.from(buf);
  flipped[flipped.length - 3] ^= 0xff;
  assert.throws(() => TopPop.load(flipped), code('ERR_RECKIT_CORRUPT_FILE'));
  const junk = join(dir, 'junk.safetensors');
  writeFileSync(junk, 'not a model');
  assert.throws(() => loadModel(junk), code('ERR_RECKIT_CORRUPT_FILE'));
});

test('TopPop honours the Recommender contract', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reckit-toppop-contract-'));
  await checkRecommenderContract(() => new TopPop(), (s) => TopPop.load(s), randomLog(5), join(dir, 'model.safetensors'));
});

test('registry: every named model is available, unknown names are rejected', () => {
  for (const name of ['toppop', 'itemknn', 'userknn', 'bpr', 'cfgan']) assert.ok(modelNames().includes(name), name);
  assert.throws(() => createModel('svd++'), (e: any) => /unknown model 'svd\+\+'/.test(e.message));
});

test('evaluate: full-ranking metrics of TopPop equal the brute-force reference', async () => {
  const x = randomLog(4, 60, 40);
  const split = ratioSplit(x, { ratio: 0.75, seed: 9 });
  const result = await evaluate(['toppop'], split, { k: 5, batchUsers: 7 });
  const counts = new Array(x.numItems).fill(0);
  for (const i of split.train.items) counts[i]++;
  const per = [];
  for (let u = 0; u < x.numUsers; u++) {
    const rel = new Set<number>(), seen = new Set<number>();
    split.test.users.forEach((v, r) => v === u && rel.add(split.test.items[r]));
    split.train.users.forEach((v, r) => v === u && seen.add(split.train.items[r]));
    if (rel.size) per.push(referenceUser(counts, rel, seen, 5));
  }
  const want = mean(per);
  const got = result.results[0];
  assert.is(got.users, per.length);
  for (const [m, v] of Object.entries(want)) assert.ok(Math.abs((got.metrics as any)[m] - v) < 1e-9, `${m}: ${(got.metrics as any)[m]} vs ${v}`);
  assert.match(result.protocol, /full ranking/);
  await evaluate(['toppop'], split, { k: x.numItems + 1 }).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_OUT_OF_RANGE'));
  await evaluate(['svd++'], split).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_INVALID_ARG'));
});

test('evaluate on a user group (the sparsest quarter) with per-user values, against the reference', async () => {
  const x = randomLog(6, 80, 40);
  const split = ratioSplit(x, { ratio: 0.6, seed: 2 });
  const group = sparsestUsers(split.train, 0.25);
  const trainCount = new Array(x.numUsers).fill(0);
  for (const u of split.train.users) trainCount[u]++;
  const active = trainCount.map((c, u) => [c, u]).filter(([c]) => c > 0).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  assert.equal(Array.from(group), active.slice(0, Math.round(0.25 * active.length)).map(([, u]) => u).sort((a, b) => a - b));
  const model = new TopPop();
  await model.fit(split.train);
  const r = await evaluateModel(model, split, { k: 5, users: group, perUser: true, batchUsers: 3 });
  const counts = new Array(x.numItems).fill(0);
  for (const i of split.train.items) counts[i]++;
  const per = [];
  for (const u of group) {
    const rel = new Set<number>(), seen = new Set<number>();
    split.test.users.forEach((v, j) => v === u && rel.add(split.test.items[j]));
    split.train.users.forEach((v, j) => v === u && seen.add(split.train.items[j]));
    if (rel.size) per.push(referenceUser(counts, rel, seen, 5));
  }
  assert.is(r.users, per.length);
  const want = mean(per);
  for (const [m, v] of Object.entries(want)) assert.ok(Math.abs((r.metrics as any)[m] - v) < 1e-9, m);
  assert.is(r.perUser!.users.length, per.length);
  per.forEach((p, j) => assert.ok(Math.abs(r.perUser!.metrics.ndcg[j] - p.ndcg) < 1e-12));
  await evaluateModel(model, split, { users: Int32Array.of(x.numUsers) }).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_OUT_OF_RANGE'));
  await evaluateModel(model, split, { users: [0] as any }).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => sparsestUsers(split.train, 0), (e: any) => e.code === 'ERR_RECKIT_OUT_OF_RANGE');
});

test('evaluate: sampled protocol ranks each test item among 99 unseen negatives', async () => {
  const shop = generateShop({ users: 150, items: 200, seed: 3 });
  const x = clean(shopInteractions(shop, { events: ['purchase', 'cart'] })).interactions;
  const split = leaveOneOut(x);
  const model = new TopPop();
  await model.fit(split.train);
  const a = await evaluateModel(model, split, { protocol: 'sampled', seed: 1 });
  const b = await evaluateModel(model, split, { protocol: 'sampled', seed: 1 });
  assert.equal(a.metrics, b.metrics);
  assert.is(a.instances, split.test.users.length);
  // Popularity beats chance (HR@10 of a random ranking of 100 is 0.1, AUC 0.5).
  assert.ok(a.metrics.hr > 0.2 && a.metrics.auc > 0.6, JSON.stringify(a.metrics));
  assert.ok(Math.abs(a.metrics.recall - a.metrics.hr) < 1e-12);
  await evaluateModel(model, split, { protocol: 'sampled', k: 101 }).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_OUT_OF_RANGE'));
});

test.run();
