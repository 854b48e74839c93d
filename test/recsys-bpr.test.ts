// BPR: the native step's gradient against finite differences of a float64 JS loss, the sampler (positives
// are training pairs, negatives never seen, deterministic), learning on a planted-structure shop (loss
// falls, beats TopPop), determinism, the bag profile against a JS reference, the contract, bad input.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bpr, EmbeddingTable, Rng, UserKnn, bprStep, setThreads, clean, createModel, evaluate, fromRows, generateShop, loadModel, ratioSplit,
  shopInteractions, toCsr, type Interactions,
} from '../lib/index';
import { native } from '../lib/native';
import { checkRecommenderContract } from './recsys-contract';

const code = (c: string) => (e: any) => e?.code === c;

function randomValues(n: number, seed: number, scale = 0.5): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
}

function randomLog(seed: number, users = 30, items = 25): Interactions {
  const rng = new Rng(seed);
  const rows = [];
  for (let u = 0; u < users; u++) {
    const n = 2 + rng.int(8);
    for (let j = 0; j < n; j++) rows.push({ user: `u${u}`, item: `i${Math.floor(Math.pow(rng.next(), 1.5) * items)}` });
  }
  return clean(fromRows(rows)).interactions;
}

/** float64 BPR loss over triples (P: users × d, Q: items × d, B: items). */
function loss(P: Float64Array, Q: Float64Array, B: Float64Array, d: number, u: Int32Array, i: Int32Array, j: Int32Array, reg: number): number {
  let total = 0;
  for (let t = 0; t < u.length; t++) {
    let x = B[i[t]] - B[j[t]];
    let sq = B[i[t]] ** 2 + B[j[t]] ** 2;
    for (let k = 0; k < d; k++) {
      const p = P[u[t] * d + k], qi = Q[i[t] * d + k], qj = Q[j[t] * d + k];
      x += p * (qi - qj);
      sq += p * p + qi * qi + qj * qj;
    }
    total += Math.log1p(Math.exp(-x)) + 0.5 * reg * sq;
  }
  return total;
}

test('bprStep: an SGD step moves every parameter by -lr × the finite-difference gradient (duplicates included)', () => {
  const d = 5, nu = 4, ni = 6, reg = 0.03, lr = 0.01;
  const p0 = randomValues(nu * d, 1), q0 = randomValues(ni * d, 2), b0 = randomValues(ni, 3, 0.2);
  const users = EmbeddingTable.fromArray(nu, d, p0);
  const items = EmbeddingTable.fromArray(ni, d, q0);
  const bias = EmbeddingTable.fromArray(ni, 1, b0);
  // Triples with a repeated user, a repeated positive and an item that is positive in one, negative in another.
  const u = Int32Array.of(0, 1, 0, 3, 2), i = Int32Array.of(1, 2, 1, 5, 0), j = Int32Array.of(4, 1, 3, 0, 2);
  const P = Float64Array.from(p0), Q = Float64Array.from(q0), B = Float64Array.from(b0);
  const L = bprStep({ users, items, bias }, u, i, j, { lr, reg, optimizer: 'sgd' });
  assert.ok(Math.abs(L - loss(P, Q, B, d, u, i, j, reg)) < 1e-5, 'returned loss');
  const h = 1e-5;
  const fd = (arr: Float64Array, k: number) => {
    const v = arr[k];
    arr[k] = v + h;
    const up = loss(P, Q, B, d, u, i, j, reg);
    arr[k] = v - h;
    const down = loss(P, Q, B, d, u, i, j, reg);
    arr[k] = v;
    return (up - down) / (2 * h);
  };
  for (const [arr, before, after] of [[P, p0, users.data()], [Q, q0, items.data()], [B, b0, bias.data()]] as const) {
    for (let k = 0; k < arr.length; k++) {
      const g = fd(arr, k);
      const step = (before[k] - after[k]) / lr;
      assert.ok(Math.abs(step - g) < 2e-4 + 1e-3 * Math.abs(g), `parameter ${k}: step gradient ${step} vs finite difference ${g}`);
    }
  }
  // Without a bias table the bias terms vanish from the loss.
  const users2 = EmbeddingTable.fromArray(nu, d, p0), items2 = EmbeddingTable.fromArray(ni, d, q0);
  const L2 = bprStep({ users: users2, items: items2 }, u, i, j, { lr, reg });
  assert.ok(Math.abs(L2 - loss(P, Q, new Float64Array(ni), d, u, i, j, reg)) < 1e-5);
});

test('sampler: positives are training pairs, negatives are never the user\'s items, the same for a seed', () => {
  const x = randomLog(4, 40, 30);
  const seen = toCsr(x, { by: 'user', binary: true });
  const args = [seen.offsets, seen.indices, seen.values, seen.rows, seen.cols];
  const a = native().bprSample(...args, 7, 0, 0, 2000);
  const b = native().bprSample(...args, 7, 0, 0, 2000);
  const c = native().bprSample(...args, 7, 1, 0, 2000);
  assert.equal(Array.from(a.j), Array.from(b.j));
  assert.not.equal(Array.from(a.j), Array.from(c.j));
  const sets = Array.from({ length: x.numUsers }, () => new Set<number>());
  for (let r = 0; r < x.users.length; r++) sets[x.users[r]].add(x.items[r]);
  const userCounts = new Array(x.numUsers).fill(0);
  for (let t = 0; t < 2000; t++) {
    assert.ok(sets[a.u[t]].has(a.i[t]), 'positive is a training pair');
    assert.not.ok(sets[a.u[t]].has(a.j[t]), 'negative is unseen');
    userCounts[a.u[t]]++;
  }
  // Pairs are drawn uniformly: a user's share follows their number of pairs (loose bound).
  for (let v = 0; v < x.numUsers; v++) {
    const expected = (2000 * sets[v].size) / seen.indices.length;
    assert.ok(Math.abs(userCounts[v] - expected) < 5 * Math.sqrt(expected) + 3, `user ${v}: ${userCounts[v]} vs ${expected}`);
  }
  // A later slice equals the tail of a longer draw (triple t depends on (seed, epoch, t) only).
  const tail = native().bprSample(...args, 7, 0, 1500, 500);
  assert.equal(Array.from(tail.j), Array.from(a.j.subarray(1500)));
});

test('learning: on a planted-structure shop the loss falls and BPR beats TopPop; fits are deterministic', async () => {
  const shop = generateShop({ users: 600, items: 200, seed: 3 });
  const x = clean(shopInteractions(shop)).interactions;
  const split = ratioSplit(x, { ratio: 0.75, seed: 1 });
  const progress: number[] = [];
  const model = new Bpr({ factors: 16, epochs: 15, lr: 0.05, reg: 0.01 });
  const report = await model.fit(split.train, { seed: 5, onProgress: (p) => progress.push(p.done) });
  assert.equal(progress, Array.from({ length: 15 }, (_, e) => e + 1));
  assert.is(report.losses.length, 15);
  assert.ok(report.losses[14] < 0.7 * report.losses[0], `loss ${report.losses[0]} -> ${report.losses[14]}`);
  // evaluate() refits the model on split.train with its seed (0).
  const result = await evaluate(['toppop', model], split, { k: 10, seed: 0 });
  const [top, bpr] = result.results;
  assert.ok(bpr.metrics.ndcg > top.metrics.ndcg * 1.1, `BPR NDCG ${bpr.metrics.ndcg} vs TopPop ${top.metrics.ndcg}`);
  const again = new Bpr({ factors: 16, epochs: 15, lr: 0.05, reg: 0.01 });
  await again.fit(split.train, { seed: 0 });
  const users = Int32Array.of(0, 5, 9);
  assert.equal(Array.from(await again.scoreUsers(users)), Array.from(await model.scoreUsers(users)));
});

test('training and KNN neighbours are identical on 1 and 2 threads (per-triple sampling and gradients)', async () => {
  const x = randomLog(12, 60, 40);
  const users = Int32Array.from({ length: x.numUsers }, (_, u) => u);
  const runs: Float32Array[] = [];
  const knn: Float32Array[] = [];
  try {
    for (const t of [1, 2]) {
      setThreads(t);
      const m = new Bpr({ factors: 8, epochs: 4, batch: 64 });
      await m.fit(x, { seed: 4 });
      runs.push(await m.scoreUsers(users));
      const k = new UserKnn({ neighbours: 5 });
      await k.fit(x);
      knn.push(await k.scoreUsers(users));
    }
  } finally {
    setThreads(0);
  }
  assert.equal(Array.from(runs[0]), Array.from(runs[1]));
  assert.equal(Array.from(knn[0]), Array.from(knn[1]));
});

test('scores: p_u · q_i + b_i; the bag profile is the mean of the user\'s item embeddings (JS reference)', async () => {
  const x = randomLog(6);
  const model = new Bpr({ factors: 6, epochs: 3, profile: 'bag' });
  await model.fit(x, { seed: 2 });
  const P = model.userEmbeddings.data(), Q = model.itemEmbeddings.data();
  const { bias } = (model as any).tables;
  const B = bias.data();
  const d = 6;
  const users = Int32Array.from({ length: x.numUsers }, (_, u) => u);
  const bagScores = await model.scoreUsers(users);
  const learned = native().bprScore(model.userEmbeddings.nativeHandle, model.itemEmbeddings.nativeHandle, bias.nativeHandle, model.userProfiles(users, 'user'));
  const items = Array.from({ length: x.numUsers }, () => new Set<number>());
  for (let r = 0; r < x.users.length; r++) items[x.users[r]].add(x.items[r]);
  for (let u = 0; u < x.numUsers; u++) {
    const prof = new Float64Array(d);
    for (const i of items[u]) for (let k = 0; k < d; k++) prof[k] += Q[i * d + k] / items[u].size;
    for (let j = 0; j < x.numItems; j++) {
      let want = B[j], wantLearned = B[j];
      for (let k = 0; k < d; k++) {
        want += prof[k] * Q[j * d + k];
        wantLearned += P[u * d + k] * Q[j * d + k];
      }
      assert.ok(Math.abs(bagScores[u * x.numItems + j] - want) < 1e-5);
      assert.ok(Math.abs(learned[u * x.numItems + j] - wantLearned) < 1e-5);
    }
  }
  const basket = model.scoreBasket(Int32Array.from(items[0]));
  assert.equal(Array.from(basket), Array.from(bagScores.subarray(0, x.numItems)));
});

test('BPR passes the Recommender contract; registry and loadModel keep the settings', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reckit-bpr-contract-'));
  const x = randomLog(8);
  await checkRecommenderContract(() => new Bpr({ factors: 8, epochs: 3 }), (s) => Bpr.load(s), x, join(dir, 'bpr.safetensors'));
  const m = createModel('bpr', { factors: 4, epochs: 2, bias: false, profile: 'bag' }) as Bpr;
  await m.fit(x);
  const loaded = loadModel(m.toBuffer()) as Bpr;
  assert.ok(loaded instanceof Bpr);
  assert.is(loaded.options.profile, 'bag');
  assert.is(loaded.options.bias, false);
  assert.equal(loaded.recommend(x.userIds.idOf(2), { k: 5 }), m.recommend(x.userIds.idOf(2), { k: 5 }));
});

test('abort: fit rejects with AbortError after the current epoch and the model keeps its previous state', async () => {
  const x = randomLog(13);
  const model = new Bpr({ factors: 4, epochs: 2 });
  await model.fit(x, { seed: 1 });
  const before = model.recommend(x.userIds.idOf(0), { k: 3 });
  const ctl = new AbortController();
  const epochs: number[] = [];
  const run = model.fit(x, { seed: 2, signal: ctl.signal, onProgress: (p) => { epochs.push(p.done); if (p.done === 2) ctl.abort(); } });
  const long = new Bpr({ factors: 4, epochs: 1000 });
  await run.then(() => assert.unreachable(), (e) => assert.is(e.name, 'AbortError'));
  assert.ok(epochs.length >= 2 && epochs.length < 1000);
  assert.equal(model.recommend(x.userIds.idOf(0), { k: 3 }), before);
  const aborted = new AbortController();
  aborted.abort();
  await long.fit(x, { signal: aborted.signal }).then(() => assert.unreachable(), (e) => assert.is(e.name, 'AbortError'));
  assert.not.ok(long.fitted);
  await model.fit(x, { signal: {} as any }).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_INVALID_ARG'));
});

test('bad options and input raise codes; a failed fit keeps the previous model', async () => {
  assert.throws(() => new Bpr({ factors: 0 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new Bpr({ lr: -1 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new Bpr({ optimizer: 'rmsprop' as any }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => new Bpr({ profile: 'avg' as any }), code('ERR_RECKIT_INVALID_ARG'));
  const x = randomLog(9);
  const model = new Bpr({ factors: 4, epochs: 2 });
  await model.fit(x);
  const before = model.recommend(x.userIds.idOf(0), { k: 3 });
  const exploding = new Bpr({ factors: 4, epochs: 5, lr: 1e30, optimizer: 'sgd' });
  await exploding.fit(x).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_OUT_OF_RANGE'));
  assert.not.ok(exploding.fitted);
  await model.fit(fromRows([])).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_INVALID_ARG'));
  assert.equal(model.recommend(x.userIds.idOf(0), { k: 3 }), before);
  const t = { users: EmbeddingTable.fromArray(2, 3, new Float32Array(6)), items: EmbeddingTable.fromArray(3, 3, new Float32Array(9)) };
  assert.throws(() => bprStep(t, Int32Array.of(5), Int32Array.of(0), Int32Array.of(1), { lr: 0.1 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => bprStep(t, Int32Array.of(0), Int32Array.of(0, 1), Int32Array.of(1), { lr: 0.1 }), code('ERR_RECKIT_DIM_MISMATCH'));
  const wrongDim = { users: EmbeddingTable.fromArray(2, 4, new Float32Array(8)), items: t.items };
  assert.throws(() => bprStep(wrongDim, Int32Array.of(0), Int32Array.of(0), Int32Array.of(1), { lr: 0.1 }), code('ERR_RECKIT_DIM_MISMATCH'));
});

test.run();
