// ItemKNN and UserKNN against a float64 brute force: cosine with shrinkage over all pairs, neighbour lists
// (ties allowed in any order, but nothing better left out), scores of every user, similarItems, the
// Recommender contract, registry round trips, and bad options with codes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync } from 'node:fs';
import { main } from '../lib/cli/main';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ItemKnn, UserKnn, clean, cosineNeighbours, createModel, fromRows, loadModel, toCsr, Rng, type Interactions } from '../lib/index';
import { checkRecommenderContract } from './recsys-contract';

const code = (c: string) => (e: any) => e?.code === c;

function randomLog(seed: number, users = 40, items = 30, ratings = false): Interactions {
  const rng = new Rng(seed);
  const rows = [];
  for (let u = 0; u < users; u++) {
    const n = 2 + rng.int(9);
    for (let j = 0; j < n; j++) {
      rows.push({ user: `u${u}`, item: `i${Math.floor(Math.pow(rng.next(), 1.5) * items)}`, rating: ratings ? 1 + rng.int(5) : 1 });
    }
  }
  return clean(fromRows(rows)).interactions;
}

/** Dense float64 matrix of the log (rows × cols), summing repeated pairs, or 1 when binary. */
function dense(x: Interactions, byItem: boolean, binary: boolean): number[][] {
  const rows = byItem ? x.numItems : x.numUsers;
  const cols = byItem ? x.numUsers : x.numItems;
  const m = Array.from({ length: rows }, () => new Array(cols).fill(0));
  for (let r = 0; r < x.users.length; r++) {
    const a = byItem ? x.items[r] : x.users[r];
    const b = byItem ? x.users[r] : x.items[r];
    m[a][b] = binary ? 1 : m[a][b] + x.ratings[r];
  }
  return m;
}

/** sim[a][b] = <a, b> / (|a||b| + shrink) in float64; 0 on the diagonal and without overlap. */
function referenceSims(m: number[][], shrink: number): number[][] {
  const norms = m.map((row) => Math.sqrt(row.reduce((s, v) => s + v * v, 0)));
  return m.map((ra, a) =>
    m.map((rb, b) => {
      if (a === b) return 0;
      let dot = 0;
      for (let c = 0; c < ra.length; c++) dot += ra[c] * rb[c];
      return dot > 0 ? dot / (norms[a] * norms[b] + shrink) : 0;
    }),
  );
}

function checkNeighbours(m: number[][], k: number, shrink: number, got: ReturnType<typeof cosineNeighbours>): void {
  const ref = referenceSims(m, shrink);
  for (let a = 0; a < m.length; a++) {
    const positive = ref[a].filter((s) => s > 0).length;
    const list = Array.from(got.indices.subarray(got.offsets[a], got.offsets[a + 1]));
    const sims = Array.from(got.values.subarray(got.offsets[a], got.offsets[a + 1]));
    assert.is(list.length, Math.min(k, positive), `row ${a}: neighbour count`);
    assert.not.ok(list.includes(a), 'a row is not its own neighbour');
    list.forEach((b, s) => {
      assert.ok(Math.abs(sims[s] - ref[a][b]) <= 1e-6 * Math.max(1, ref[a][b]), `sim(${a}, ${b}) = ${sims[s]} vs ${ref[a][b]}`);
      if (s > 0) assert.ok(sims[s] <= sims[s - 1], 'best first');
    });
    const last = sims.length ? sims[sims.length - 1] : Infinity;
    for (let b = 0; b < m.length; b++) {
      if (b !== a && !list.includes(b)) assert.ok(ref[a][b] <= last + 1e-6, `row ${a}: ${b} (${ref[a][b]}) better than the kept ${last}`);
    }
  }
}

test('cosineNeighbours equals the float64 brute force (binary and rated, with and without shrink, small and full k)', () => {
  for (const [seed, binary, shrink, k] of [[1, true, 0, 5], [2, true, 10, 3], [3, false, 2.5, 7], [4, false, 0, 1000]] as const) {
    const x = randomLog(seed, 40, 30, !binary);
    for (const byItem of [true, false]) {
      const csr = toCsr(x, { by: byItem ? 'item' : 'user', binary });
      checkNeighbours(dense(x, byItem, binary), k, shrink, cosineNeighbours(csr, k, shrink));
    }
  }
});

test('ItemKNN scores: Σ over the user\'s items of x_ui · sim(i, j) (all neighbours kept), float64 reference', async () => {
  const x = randomLog(5, 40, 30, true);
  for (const weighting of ['binary', 'rating'] as const) {
    const model = new ItemKnn({ neighbours: 1000, shrink: 3, weighting });
    await model.fit(x);
    const xu = dense(x, false, weighting === 'binary');
    const sims = referenceSims(dense(x, true, weighting === 'binary'), 3);
    const users = Int32Array.from({ length: x.numUsers }, (_, u) => u);
    const got = await model.scoreUsers(users);
    assert.equal(Array.from(model.scoreUsersSync(users)), Array.from(got));
    for (let u = 0; u < x.numUsers; u++) {
      for (let j = 0; j < x.numItems; j++) {
        let want = 0;
        for (let i = 0; i < x.numItems; i++) want += xu[u][i] * sims[i][j];
        assert.ok(Math.abs(got[u * x.numItems + j] - want) <= 1e-5 * Math.max(1, want), `score(${u}, ${j})`);
      }
    }
    // similarItems: the item's neighbours by similarity.
    const item = x.itemIds.idOf(x.items[0]);
    const i = x.items[0];
    const sim = model.similarItems(item, { k: 3 });
    const best = sims[i].map((s, j) => [s, j]).filter(([, j]) => j !== i).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    sim.forEach((r, s) => assert.ok(Math.abs(r.score - best[s][0]) < 1e-6));
  }
});

test('ItemKNN with few neighbours: seen-side and candidate-side neighbourhoods against the neighbour lists', async () => {
  const x = randomLog(6, 30, 25);
  const nb = cosineNeighbours(toCsr(x, { by: 'item', binary: true }), 2, 1);
  const xu = dense(x, false, true);
  for (const neighbourhood of ['seen', 'candidate'] as const) {
    const model = new ItemKnn({ neighbours: 2, shrink: 1, neighbourhood });
    await model.fit(x);
    const got = await model.scoreUsers(Int32Array.from({ length: x.numUsers }, (_, u) => u));
    for (let u = 0; u < x.numUsers; u++) {
      const want = new Float64Array(x.numItems);
      if (neighbourhood === 'seen') {
        // A seen item i adds sim(i, j) to each of its own top neighbours j.
        for (let i = 0; i < x.numItems; i++) {
          if (!xu[u][i]) continue;
          for (let p = nb.offsets[i]; p < nb.offsets[i + 1]; p++) want[nb.indices[p]] += nb.values[p];
        }
      } else {
        // A candidate j sums sim(i, j) over the seen items i among j's own top neighbours.
        for (let j = 0; j < x.numItems; j++) {
          for (let p = nb.offsets[j]; p < nb.offsets[j + 1]; p++) want[j] += xu[u][nb.indices[p]] * nb.values[p];
        }
      }
      for (let j = 0; j < x.numItems; j++) assert.ok(Math.abs(got[u * x.numItems + j] - want[j]) < 1e-5, `${neighbourhood}: score(${u}, ${j})`);
    }
  }
});

test('UserKNN scores: Σ over neighbour users of sim(u, v) · x_vj, float64 reference', async () => {
  const x = randomLog(7, 35, 30, true);
  const model = new UserKnn({ neighbours: 1000, shrink: 2, weighting: 'rating' });
  await model.fit(x);
  const xu = dense(x, false, false);
  const sims = referenceSims(xu, 2);
  const got = await model.scoreUsers(Int32Array.from({ length: x.numUsers }, (_, u) => u));
  for (let u = 0; u < x.numUsers; u++) {
    for (let j = 0; j < x.numItems; j++) {
      let want = 0;
      for (let v = 0; v < x.numUsers; v++) want += sims[u][v] * xu[v][j];
      assert.ok(Math.abs(got[u * x.numItems + j] - want) <= 1e-5 * Math.max(1, want), `score(${u}, ${j})`);
    }
  }
  const recs = model.recommend(x.userIds.idOf(0), { k: 5 });
  const seen = new Set(xu[0].map((v, j) => (v ? j : -1)).filter((j) => j >= 0));
  const order = Array.from({ length: x.numItems }, (_, j) => j).filter((j) => !seen.has(j));
  const ref = order.map((j) => sims[0].reduce((s, w, v) => s + w * xu[v][j], 0));
  const best = Math.max(...ref);
  assert.ok(Math.abs(recs[0].score - best) < 1e-5);
});

test('ItemKNN and UserKNN pass the Recommender contract', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'reckit-knn-contract-'));
  const x = randomLog(8);
  await checkRecommenderContract(() => new ItemKnn({ neighbours: 5 }), (s) => ItemKnn.load(s), x, join(dir, 'item.safetensors'));
  await checkRecommenderContract(() => new UserKnn({ neighbours: 5 }), (s) => UserKnn.load(s), x, join(dir, 'user.safetensors'));
});

test('registry: itemknn and userknn by name, options passed, loadModel picks the class and keeps the settings', async () => {
  const x = randomLog(9);
  const model = createModel('itemknn', { neighbours: 4, shrink: 0 }) as ItemKnn;
  await model.fit(x);
  const loaded = loadModel(model.toBuffer());
  assert.ok(loaded instanceof ItemKnn);
  assert.equal(loaded.recommend(x.userIds.idOf(1), { k: 4 }), model.recommend(x.userIds.idOf(1), { k: 4 }));
  assert.equal((loaded as any).config, { neighbours: 4, shrink: 0, weighting: 'binary', neighbourhood: 'candidate' });
  const u = createModel('userknn');
  await u.fit(x);
  assert.ok(loadModel(u.toBuffer()) instanceof UserKnn);
});

test('reckit evaluate --models toppop,itemknn,userknn,bpr: one row per model with metrics in [0, 1]', async () => {
  const json = join(mkdtempSync(join(tmpdir(), 'reckit-knn-cli-')), 'out.json');
  const fixture = join(__dirname, 'fixtures', 'recsys-tiny.csv');
  const code = await main(['evaluate', '--interactions', fixture, '--split', 'ratio:0.75', '--models', 'toppop,itemknn,userknn,bpr', '--k', '3', '--quiet', '--json', json]);
  assert.is(code, 0);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.results.map((r: any) => r.model), ['toppop', 'itemknn', 'userknn', 'bpr']);
  for (const r of report.results) for (const v of Object.values(r.metrics) as number[]) assert.ok(v >= 0 && v <= 1, `${r.model}: ${v}`);
});

test('bad options and input raise codes', async () => {
  assert.throws(() => new ItemKnn({ neighbours: 0 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new ItemKnn({ neighbours: 1.5 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new UserKnn({ shrink: -1 }), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => new UserKnn({ weighting: 'tfidf' as any }), code('ERR_RECKIT_INVALID_ARG'));
  assert.throws(() => new ItemKnn({ neighbourhood: 'both' as any }), code('ERR_RECKIT_INVALID_ARG'));
  const empty = fromRows([]);
  await new ItemKnn().fit(empty).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_INVALID_ARG'));
  const m = new ItemKnn();
  await m.fit(randomLog(10));
  await m.scoreUsers(Int32Array.of(1000)).then(() => assert.unreachable(), (e) => assert.is(e.code, 'ERR_RECKIT_OUT_OF_RANGE'));
  const csr = toCsr(randomLog(11), { by: 'item' });
  assert.throws(() => cosineNeighbours({ ...csr, indices: csr.indices.map((v, j) => (j === 0 ? 999 : v)) }, 3, 0), code('ERR_RECKIT_OUT_OF_RANGE'));
  assert.throws(() => cosineNeighbours({ ...csr, offsets: csr.offsets.subarray(1) }, 3, 0), code('ERR_RECKIT_DIM_MISMATCH'));
  assert.throws(() => cosineNeighbours(csr, 3, Number.NaN), code('ERR_RECKIT_OUT_OF_RANGE'));
});

test.run();
