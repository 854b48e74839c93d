// CFGAN: the Recommender contract, learning the planted structure of the synthetic shop (beats TopPop on
// held-out purchases), determinism for a seed, save/load round trips with identical scores, abort, and
// bad options with codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CFGAN, setThreads, clean, createModel, evaluate, generateShop, loadModel, modelNames, ratioSplit, shopInteractions } from '../lib/index';
import { readSafetensors } from '../lib/safetensors';
import { checkRecommenderContract } from './recsys-contract';
import { randomLog } from './helpers/random-log';

const code = (c: string) => (e: any) => e?.code === c;
const dir = mkdtempSync(join(tmpdir(), 'reckit-cfgan-'));
const small = { epochs: 4, batchSize: 8, generator: [{ units: 16, activation: 'relu' as const }], discriminator: [{ units: 8, activation: 'relu' as const }] };

function shopSplit() {
  const shop = generateShop({ users: 400, items: 150, seed: 11 });
  const x = clean(shopInteractions(shop, { events: ['purchase', 'cart'] })).interactions;
  return ratioSplit(x, { ratio: 0.75, seed: 3 });
}

test('CFGAN honours the Recommender contract and is registered', async () => {
  assert.ok(modelNames().includes('cfgan'));
  assert.instance(createModel('cfgan', small), CFGAN);
  await checkRecommenderContract(() => new CFGAN(small), (s) => CFGAN.load(s), randomLog(1), join(dir, 'contract.safetensors'));
});

test('learns the shop: NDCG@10 and P@10 well above TopPop on held-out purchases', async () => {
  const split = shopSplit();
  const result = await evaluate(['toppop', new CFGAN({ epochs: 200, seed: 1 })], split, { k: 10 });
  const [pop, gan] = result.results;
  assert.is(gan.model, 'cfgan');
  assert.ok(gan.metrics.ndcg > 1.3 * pop.metrics.ndcg, `cfgan ${gan.metrics.ndcg} vs toppop ${pop.metrics.ndcg}`);
  assert.ok(gan.metrics.precision > 1.2 * pop.metrics.precision, `cfgan P@10 ${gan.metrics.precision} vs ${pop.metrics.precision}`);
});

test('fit reports every epoch; the same seed gives the same scores, another seed different ones', async () => {
  const x = randomLog(2, 60, 40);
  const seen: number[] = [];
  const a = new CFGAN({ ...small, epochs: 6 });
  const report = await a.fit(x, { seed: 5, onProgress: (p) => seen.push(p.done) });
  assert.equal(seen, [1, 2, 3, 4, 5, 6]);
  assert.is(report.losses.length, 6);
  assert.ok(report.losses.every(Number.isFinite));
  const b = new CFGAN({ ...small, epochs: 6 });
  await b.fit(x, { seed: 5 });
  const c = new CFGAN({ ...small, epochs: 6 });
  await c.fit(x, { seed: 6 });
  const users = Int32Array.from({ length: x.numUsers }, (_, u) => u);
  const sa = await a.scoreUsers(users), sb = await b.scoreUsers(users), sc = await c.scoreUsers(users);
  assert.equal(Array.from(sa), Array.from(sb));
  assert.not.equal(Array.from(sa), Array.from(sc));
  assert.equal(Array.from(a.scoreUsersSync(users)), Array.from(sa));
  assert.equal(await a.recommendAsync('user3', { k: 5 }), a.recommend('user3', { k: 5 }));
  assert.ok(sa.every((v) => v > 0 && v < 1), 'sigmoid scores');
});

test('deterministic for a seed and a thread count: two fits per count give the same bits', async () => {
  const x = randomLog(8, 50, 30);
  const users = Int32Array.from({ length: x.numUsers }, (_, u) => u);
  const run = async () => {
    const m = new CFGAN({ ...small, epochs: 5, generator: [{ units: 40, activation: 'relu' }] });
    await m.fit(x, { seed: 11 });
    const s = Array.from(await m.scoreUsers(users));
    m.dispose();
    return s;
  };
  try {
    for (const threads of [1, 2, 3]) {
      setThreads(threads);
      assert.equal(await run(), await run(), `threads ${threads}`);
    }
  } finally {
    setThreads(0);
  }
});

test('save/load round trip: identical scores for every user, through the registry too', async () => {
  const split = shopSplit();
  const model = new CFGAN({ epochs: 5, seed: 2 });
  await model.fit(split.train);
  const path = join(dir, 'shop.safetensors');
  model.save(path);
  const loaded = loadModel(path) as CFGAN;
  assert.instance(loaded, CFGAN);
  assert.equal(loaded.options, model.options);
  const users = Int32Array.from({ length: split.train.numUsers }, (_, u) => u);
  assert.equal(Array.from(await loaded.scoreUsers(users)), Array.from(await model.scoreUsers(users)));
  for (let u = 0; u < 20; u++) {
    const id = split.train.userIds.idOf(u);
    assert.equal(loaded.recommend(id, { k: 10 }), model.recommend(id, { k: 10 }));
  }
  const item = split.train.itemIds.idOf(0);
  assert.equal(loaded.similarItems(item, { k: 5 }), model.similarItems(item, { k: 5 }));
});

test('similarItems: cosine of the generator input weights against a float64 reference', async () => {
  const x = randomLog(3);
  const model = new CFGAN({ ...small, noiseDim: 3 });
  await model.fit(x);
  const buf = model.toBuffer();
  const w = readSafetensors(buf).tensors['cfgan.generator'].data as Float32Array;
  const h = 16, nd = 3;
  const row = (i: number) => Array.from({ length: h }, (_, d) => w[(nd + i) * h + d]);
  const cos = (a: number[], b: number[]) => a.reduce((s, v, d) => s + v * b[d], 0) / Math.sqrt(a.reduce((s, v) => s + v * v, 0) * b.reduce((s, v) => s + v * v, 0));
  const want = Array.from({ length: x.numItems }, (_, j) => j).filter((j) => j !== 0).sort((p, q) => cos(row(0), row(q)) - cos(row(0), row(p))).slice(0, 4);
  const got = model.similarItems(x.itemIds.idOf(0), { k: 4 });
  assert.equal(got.map((r) => r.index), want);
  got.forEach((r) => assert.ok(Math.abs(r.score - cos(row(0), row(r.index))) < 1e-5));
});

test('PM and ZR do their job: purchases score high, other items are pulled down only when negatives are sampled', async () => {
  const x = randomLog(7, 40, 30);
  const users = Int32Array.from({ length: x.numUsers }, (_, u) => u);
  const means = async (model: CFGAN) => {
    const s = await model.scoreUsers(users);
    const bought = new Uint8Array(x.numUsers * x.numItems);
    for (let r = 0; r < x.users.length; r++) bought[x.users[r] * x.numItems + x.items[r]] = 1;
    let seen = 0, nSeen = 0, other = 0, nOther = 0;
    s.forEach((v, e) => (bought[e] ? ((seen += v), nSeen++) : ((other += v), nOther++)));
    return { seen: seen / nSeen, other: other / nOther };
  };
  const full = new CFGAN({ ...small, epochs: 150, zrWeight: 0.5 });
  await full.fit(x, { seed: 3 });
  const f = await means(full);
  assert.ok(f.seen > f.other + 0.2, JSON.stringify(f));
  // Without negatives the discriminator only ever sees purchased positions, so nothing pulls the rest down and
  // the shared weights carry every item up with the purchases: the trivial "everything is bought" answer the
  // paper's masking exists to prevent.
  const lazy = new CFGAN({ ...small, epochs: 150, pmRatio: 0, zrRatio: 0 });
  await lazy.fit(x, { seed: 3 });
  const l = await means(lazy);
  assert.ok(l.other > 0.9 && l.seen - l.other < 0.05, JSON.stringify(l));
});

test('abort: fit rejects with AbortError and the model keeps its previous state', async () => {
  const x = randomLog(4);
  const model = new CFGAN({ ...small, epochs: 2 });
  await model.fit(x, { seed: 1 });
  const before = model.recommend('user0', { k: 5 });
  const ctl = new AbortController();
  const long = new CFGAN({ ...small, epochs: 100000 });
  const p = model.fit(x, { seed: 9, signal: ctl.signal });
  const q = long.fit(x, { signal: ctl.signal, onProgress: (pr) => pr.done === 3 && ctl.abort() });
  ctl.abort();
  // Both handlers attach at once: awaiting p first would leave q's rejection unhandled for a while.
  const names = await Promise.all([p, q].map((r) => r.then(() => 'resolved', (e) => e.name)));
  assert.equal(names, ['AbortError', 'AbortError']);
  assert.equal(model.recommend('user0', { k: 5 }), before);
  assert.not.ok(long.fitted);
});

test('bad options raise codes before any work', async () => {
  assert.throws(() => new CFGAN({ pmRatio: 1.5 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new CFGAN({ zrRatio: -0.1 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new CFGAN({ lr: 0 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new CFGAN({ epochs: 0 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new CFGAN({ generator: 'big' as any }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => new CFGAN({ zrWeight: -1 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  const model = new CFGAN(small);
  await model.fit(randomLog(5), { seed: -1 } as any).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_OUT_OF_RANGE'));
  await model.fit(randomLog(5), { onProgress: 3 } as any).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_INVALID_ARG'));
  assert.not.ok(model.fitted);
});

test.run();
