/**
 * Suite `recsys-eval`: how fast the recommender data path runs. Parsing + cleaning + splitting a shop log,
 * and the full-ranking evaluator (top-k, HR/NDCG/P/R/MAP, MRR, AUC per user) on a fixed score matrix
 * against the same metrics vectorised in NumPy (argpartition for the top-k, argsort ranks for AUC).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clean } from '../../lib/recsys/clean';
import { evaluateModel } from '../../lib/recsys/evaluate';
import { IdMap, makeInteractions } from '../../lib/recsys/interactions';
import { parseInteractions } from '../../lib/recsys/load';
import type { Recommender } from '../../lib/recsys/model';
import { ratioSplit, type Split } from '../../lib/recsys/split';
import { generateShop, shopToCsv } from '../../lib/recsys/synthetic-shop';
import { benchData, runPython, timeAsync, timeSync, type Measurement, type Suite } from '../harness';

/** A stand-in model whose scores are a fixed matrix: the evaluator's cost alone, no model in it. */
function fixedScores(numUsers: number, numItems: number, scores: Float32Array): Recommender {
  return {
    name: 'fixed',
    fitted: true,
    numUsers,
    numItems,
    fit: async () => ({ losses: [] }),
    scoreUsers(users: Int32Array) {
      const out = new Float32Array(users.length * numItems);
      for (let j = 0; j < users.length; j++) out.set(scores.subarray(users[j] * numItems, (users[j] + 1) * numItems), j * numItems);
      return out;
    },
    recommend: () => [],
    similarItems: () => [],
    userIndex: () => -1,
    itemIndex: () => -1,
    save: () => {},
    toBuffer: () => Buffer.alloc(0),
    dispose: () => {},
  };
}

/** A split with `perUser` train and test items per user drawn from a fixed stream. */
function syntheticSplit(users: number, items: number, perUser: number): Split {
  const noise = benchData(users * perUser * 2, 11);
  const u: number[] = [];
  const i: number[] = [];
  for (let a = 0; a < users; a++) {
    const picked = new Set<number>();
    for (let j = 0; j < perUser * 2; j++) {
      const item = Math.floor(((noise[a * perUser * 2 + j] + 1) / 2) * items) % items;
      if (picked.has(item)) continue;
      picked.add(item);
      u.push(a);
      i.push(item);
    }
  }
  const x = makeInteractions({ users: Int32Array.from(u), items: Int32Array.from(i) }, IdMap.from(Array.from({ length: users }, (_, k) => k)), IdMap.from(Array.from({ length: items }, (_, k) => k)));
  return ratioSplit(x, { ratio: 0.5, seed: 1 });
}

export const recsysEvalSuite: Suite = {
  name: 'recsys-eval',
  description: 'interaction log parsing/cleaning/splitting, and the full-ranking evaluator vs NumPy',
  async run(ctx) {
    const out: Measurement[] = [];
    // 1. Data path on a synthetic shop log.
    const shop = generateShop({ users: ctx.quick ? 500 : 20000, items: ctx.quick ? 300 : 5000, seed: 1 });
    const csv = shopToCsv(shop);
    const rows = shop.events.users.length;
    const tLoad = timeSync(() => {
      const x = parseInteractions(csv).interactions;
      ratioSplit(clean(x).interactions, { ratio: 0.75, seed: 1 });
    }, { minRuns: 3, minSeconds: ctx.quick ? 0.1 : 1 });
    out.push({ case: `parse+clean+split CSV (${rows} rows)`, impl: 'reckit', threads: 1, value: rows / (tLoad.medianMs / 1000) / 1e6, unit: 'M rows/s', better: 'higher' });

    // 2. The evaluator on a fixed score matrix (ML-1M's shape in full runs).
    const users = ctx.quick ? 300 : 6040;
    const items = ctx.quick ? 1000 : 3706;
    const k = 10;
    const split = syntheticSplit(users, items, 20);
    const scores = benchData(users * items, 5);
    const model = fixedScores(users, items, scores);
    const ours = await evaluateModel(model, split, { k });
    const tEval = await timeAsync(() => evaluateModel(model, split, { k }), { minRuns: 3, minSeconds: ctx.quick ? 0.1 : 1, warmup: 1 });
    const evalCase = `full-ranking metrics@${k}, ${users} users x ${items} items`;
    out.push({ case: evalCase, impl: 'reckit', threads: 1, value: users / (tEval.medianMs / 1000), unit: 'users/s', better: 'higher' });

    // NumPy peer: the same metrics over the same matrix and the same train/test sets.
    const dir = mkdtempSync(join(tmpdir(), 'reckit-bench-eval-'));
    try {
      writeFileSync(join(dir, 'scores.f32'), scores);
      const pack = (x: Split['train']) => Int32Array.from([...x.users].flatMap((uu, r) => [uu, x.items[r]]));
      writeFileSync(join(dir, 'train.i32'), pack(split.train));
      writeFileSync(join(dir, 'test.i32'), pack(split.test));
      const code = `
import json, time, numpy as np
U, I, K, D = ${users}, ${items}, ${k}, ${JSON.stringify(dir)}
S0 = np.fromfile(D + '/scores.f32', dtype=np.float32).reshape(U, I)
tr = np.fromfile(D + '/train.i32', dtype=np.int32).reshape(-1, 2)
te = np.fromfile(D + '/test.i32', dtype=np.int32).reshape(-1, 2)
seen = np.zeros((U, I), bool); seen[tr[:, 0], tr[:, 1]] = True
rel = np.zeros((U, I), bool); rel[te[:, 0], te[:, 1]] = True
def run():
    S = np.where(seen, -np.inf, S0)
    top = np.argpartition(-S, K, axis=1)[:, :K]
    order = np.argsort(-np.take_along_axis(S, top, 1), axis=1)
    top = np.take_along_axis(top, order, 1)
    hits = np.take_along_axis(rel, top, 1)
    nrel = rel.sum(1); ok = nrel > 0
    disc = 1 / np.log2(np.arange(2, K + 2))
    dcg = (hits * disc).sum(1); idcg = np.array([disc[:min(n, K)].sum() for n in nrel])
    ndcg = dcg[ok] / idcg[ok]; prec = hits.sum(1)[ok] / K; rec = hits.sum(1)[ok] / nrel[ok]
    ap = ((np.cumsum(hits, 1) / np.arange(1, K + 1)) * hits).sum(1)[ok] / np.minimum(K, nrel[ok])
    ranks = np.argsort(np.argsort(-S, axis=1), axis=1)
    first = np.where(rel, ranks, I).min(1)[ok]; mrr = 1 / (first + 1)
    cand = (~seen).sum(1)[ok]; npos = nrel[ok]; nneg = cand - npos
    # Negatives below each positive: (cand - 1 - rank) minus the positives below it (no ties: random scores).
    posrank = np.where(rel, ranks, 0).sum(1)[ok]
    auc = (npos * (cand - 1) - posrank - npos * (npos - 1) / 2) / (npos * nneg)
    return float(ndcg.mean() + prec.mean() + rec.mean() + ap.mean() + mrr.mean() + auc.mean())
total = run()
ts = []
for _ in range(${ctx.quick ? 3 : 5}):
    t = time.perf_counter(); run(); ts.append(time.perf_counter() - t)
ts.sort()
print(json.dumps({"ms": ts[len(ts) // 2] * 1000, "version": np.__version__, "sum": total}))
`;
      const py = await runPython(code, { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' });
      if (py.ok) {
        // The peer must compute the same numbers (the sum of the metrics it reports), or the ratio means nothing.
        const m = ours.metrics;
        const sum = m.ndcg + m.precision + m.recall + m.map + m.mrr + m.auc;
        if (Math.abs(sum - py.value.sum) > 1e-6) ctx.note(`numpy peer's metrics differ from reckit's (sum ${py.value.sum} vs ${sum})`);
        out.push({ case: evalCase, impl: `numpy ${py.value.version}`, threads: 1, value: users / (py.value.ms / 1000), unit: 'users/s', better: 'higher' });
      } else {
        ctx.note(`numpy peer skipped: ${py.reason}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return out;
  },
};
