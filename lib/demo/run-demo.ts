/**
 * The whole story of `npm start` / `reckit demo`: data → clean → split → train the recommenders → GAN
 * augmentation of the sparsest users (measured against the same models without it, with a paired
 * standard error so "helps" means more than noise) → evaluation against TopPop → top-10 lists with item
 * names for a few customers. Prints as it goes and returns everything it printed as numbers.
 */
import { invalidArg } from '../errors';
import { clean, type CleanReport } from '../recsys/clean';
import { evaluateModel, sparsestUsers, type ModelResult } from '../recsys/evaluate';
import type { RawId } from '../recsys/interactions';
import { itemsByUser, selectRows } from '../recsys/interactions';
import { metricLabel, type MetricName } from '../recsys/metrics';
import type { Recommender } from '../recsys/model';
import { createModel, modelNames } from '../recsys/registry';
import { ratioSplit, type Split } from '../recsys/split';
import { ProgressBar } from '../cli/progress';
import { augmentUsers } from './augment';
import { fileData, shopData, type DemoData } from './data';

export interface DemoOptions {
  /** An interaction file instead of the synthetic shop. */
  data?: string;
  sep?: string;
  columns?: string;
  /** With `data`: keep rows rated at least this (as implicit positives). */
  minRating?: number;
  /** Synthetic shop size (default 2000 customers × 600 items). */
  users?: number;
  items?: number;
  /** Seed of the shop, the split and every model (default 42). */
  seed?: number;
  /** Models trained and augmented (default: itemknn and bpr when registered, else toppop). */
  models?: string[];
  /** CFGAN training epochs (default: the model's, 50). */
  cfganEpochs?: number;
  /** Share of users (fewest training rows first) that get synthetic interactions (default 0.25). */
  sparseFraction?: number;
  /** Synthetic interactions per sparse user (default 5). */
  augmentPerUser?: number;
  /** Customers whose recommendations are printed (default 3). */
  show?: number;
  k?: number;
  /** Where lines go (default console.log). */
  log?: (line: string) => void;
  /** Draw progress bars on stderr when it is a terminal (default true). */
  progress?: boolean;
}

export interface AugmentationRow {
  model: string;
  /** NDCG@k of the sparse users without / with augmentation. */
  sparseBefore: number;
  sparseAfter: number;
  /** Paired standard error of the per-user difference (after − before). */
  sparseStdErr: number;
  allBefore: number;
  allAfter: number;
  verdict: 'helps' | 'hurts' | 'no clear effect';
}

export interface DemoExample {
  user: RawId;
  label: string;
  trainItems: number;
  history: string[];
  recommendations: { item: RawId; label: string; score: number; hit: boolean }[];
}

export interface DemoReport {
  data: string;
  clean: CleanReport;
  split: { description: string; trainRows: number; testRows: number; users: number; items: number };
  k: number;
  models: string[];
  /** Every model on all test users, TopPop first. */
  results: ModelResult[];
  /** The same models on the sparse users only. */
  sparseResults: ModelResult[];
  augmentation: { generator: string; sparseUsers: number; evaluatedUsers: number; added: number; rows: AugmentationRow[] };
  bestModel: string;
  examples: DemoExample[];
  /** Wall time per step and in total (ms). */
  timings: Record<string, number>;
}

const SHOWN: MetricName[] = ['ndcg', 'precision', 'recall', 'hr', 'map'];

function fmtMs(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]) => cells.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  ');
  return [line(header), ...rows.map(line)];
}

function mean(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return a.length ? s / a.length : Number.NaN;
}

/** Mean and standard error of the paired differences b − a. */
function pairedDiff(a: Float64Array, b: Float64Array): { diff: number; se: number } {
  const n = a.length;
  const d = new Float64Array(n);
  for (let j = 0; j < n; j++) d[j] = b[j] - a[j];
  const m = mean(d);
  let ss = 0;
  for (const v of d) ss += (v - m) ** 2;
  return { diff: m, se: n > 1 ? Math.sqrt(ss / (n - 1) / n) : Number.NaN };
}

export async function runDemo(options: DemoOptions = {}): Promise<DemoReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const seed = options.seed ?? 42;
  const k = options.k ?? 10;
  const fraction = options.sparseFraction ?? 0.25;
  const perUser = options.augmentPerUser ?? 5;
  const show = options.show ?? 3;
  const drawBars = options.progress ?? true;
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  let mark = t0;
  const step = (name: string) => {
    const now = performance.now();
    timings[name] = now - mark;
    mark = now;
    return fmtMs(timings[name]);
  };
  const bar = (label: string) => (drawBars ? new ProgressBar(label) : null);

  // 1. Data.
  const data: DemoData = options.data
    ? await fileData(options.data, { sep: options.sep, columns: options.columns })
    : shopData({ users: options.users ?? 2000, items: options.items ?? 600, seed });
  log(`[1/7] data      ${data.description} (${step('data')})`);

  // 2. Clean: implicit feedback, repeats merged.
  if (options.minRating !== undefined && data.load && !data.load.columns.some((c) => c.role === 'rating')) {
    // Without a rating column every row has rating 1: a threshold above 1 would silently drop them all.
    throw invalidArg(`minRating needs a rating column, and the columns read are ${data.load.columns.map((c) => c.role).join(',')}`);
  }
  const cleaned = clean(data.interactions, options.minRating !== undefined ? { minRating: options.minRating } : { implicit: true });
  const cr = cleaned.report;
  const dropped = options.minRating !== undefined ? `, ${cr.belowMinRating} rated below ${options.minRating} dropped` : '';
  log(`[2/7] clean     ${cr.rowsIn} rows → ${cr.rowsOut} implicit interactions (${cr.duplicates} repeats merged${dropped}): ${cr.usersOut} users × ${cr.itemsOut} items (${step('clean')})`);

  // 3. Split.
  const split: Split = ratioSplit(cleaned.interactions, { ratio: 0.75, seed });
  const train = split.train;
  if (split.test.users.length === 0) {
    throw invalidArg('the 75/25 split left no held-out interactions (every user has a single one?): nothing to evaluate');
  }
  log(`[3/7] split     ${split.description}: ${train.users.length} train / ${split.test.users.length} test rows (${step('split')})`);

  // 4. Train: the chosen models, CFGAN (also the augmentation's generator) and the TopPop baseline.
  const available = modelNames();
  const base = options.models ?? (['itemknn', 'bpr'].filter((m) => available.includes(m)).length ? ['itemknn', 'bpr'].filter((m) => available.includes(m)) : ['toppop']);
  const names = ['toppop', ...base.filter((m) => m !== 'toppop' && m !== 'cfgan'), 'cfgan'];
  if (!available.includes('cfgan')) names.pop();
  // The sparse group: the `fraction` of evaluable users (with held-out items) with the fewest training rows.
  const testByUser = itemsByUser(split.test);
  const evaluable = Array.from({ length: train.numUsers }, (_, u) => u).filter((u) => testByUser.offsets[u + 1] > testByUser.offsets[u]);
  const keep = new Uint8Array(train.numUsers);
  for (const u of evaluable) keep[u] = 1;
  const sparse = sparsestUsers(selectRows(train, Uint8Array.from(train.users, (u) => keep[u])), fraction);
  const models = new Map<string, Recommender>();
  const results: ModelResult[] = [];
  const sparseResults: ModelResult[] = [];
  const modelOptions = (name: string): Record<string, unknown> | undefined =>
    name === 'cfgan' ? { seed, ...(options.cfganEpochs !== undefined ? { epochs: options.cfganEpochs } : {}) } : undefined;
  const fitAndScore = async (name: string, log4: (s: string) => void) => {
    const model = createModel(name, modelOptions(name));
    const b = bar(`  ${name.padEnd(8)} training`);
    const f0 = performance.now();
    await model.fit(train, { seed, onProgress: (p) => b?.update(p.done, p.total, p.loss !== undefined ? `loss ${p.loss.toFixed(4)}` : '') });
    b?.done();
    const fitMs = performance.now() - f0;
    const all = await evaluateModel(model, split, { k });
    const few = await evaluateModel(model, split, { k, users: sparse, perUser: true });
    log4(`  ${name.padEnd(8)} trained in ${fmtMs(fitMs)}; NDCG@${k} ${all.metrics.ndcg.toFixed(4)} (all users), ${few.metrics.ndcg.toFixed(4)} (sparsest ${Math.round(fraction * 100)}%)`);
    return { model, all: { ...all, fitMs }, few: { ...few, fitMs } };
  };
  log(`[4/7] train     ${names.join(', ')}${base.includes('toppop') && !options.models ? ' (ItemKNN and BPR are not in this build; TopPop stands in)' : ''}`);
  for (const name of names) {
    const r = await fitAndScore(name, log);
    models.set(name, r.model);
    results.push(r.all);
    sparseResults.push(r.few);
  }
  step('train');

  // 5. Augmentation: CFGAN's top unseen items for the sparsest users become extra training rows; each
  // augmented model is compared with itself trained on the real rows only, user by user.
  const generator = models.get('cfgan') ?? models.get(base[0])!;
  const augmented = await augmentUsers(train, generator, sparse, perUser);
  const evaluated = sparseResults[0].users;
  const trainByUser = itemsByUser(train);
  const sparseMax = Math.max(...Array.from(sparse, (u) => trainByUser.offsets[u + 1] - trainByUser.offsets[u]));
  log(`[5/7] augment   ${generator.name} adds ${augmented.added} synthetic interactions (${perUser} per user) for the ${sparse.length} sparsest users of those with held-out items (≤ ${sparseMax} training rows each)`);
  const augRows: AugmentationRow[] = [];
  for (const name of base) {
    const model = createModel(name, modelOptions(name));
    const b = bar(`  ${name.padEnd(8)} training (augmented)`);
    await model.fit(augmented.train, { seed, onProgress: (p) => b?.update(p.done, p.total) });
    b?.done();
    const all = await evaluateModel(model, split, { k });
    const few = await evaluateModel(model, split, { k, users: sparse, perUser: true });
    model.dispose();
    const before = sparseResults[names.indexOf(name)];
    const { diff, se } = pairedDiff(before.perUser!.metrics.ndcg, few.perUser!.metrics.ndcg);
    const verdict = diff > 2 * se ? 'helps' : diff < -2 * se ? 'hurts' : 'no clear effect';
    augRows.push({
      model: name, sparseBefore: before.metrics.ndcg, sparseAfter: few.metrics.ndcg, sparseStdErr: se,
      allBefore: results[names.indexOf(name)].metrics.ndcg, allAfter: all.metrics.ndcg, verdict,
    });
  }
  const sign = (x: number) => (x >= 0 ? '+' : '') + x.toFixed(4);
  for (const line of table(
    ['model', `sparse NDCG@${k}`, 'augmented', 'Δ ± s.e.', `all NDCG@${k}`, 'augmented', 'verdict (|Δ| > 2 s.e.)'],
    augRows.map((r) => [r.model, r.sparseBefore.toFixed(4), r.sparseAfter.toFixed(4), `${sign(r.sparseAfter - r.sparseBefore)} ± ${r.sparseStdErr.toFixed(4)}`, r.allBefore.toFixed(4), r.allAfter.toFixed(4), r.verdict]),
  )) log(`  ${line}`);
  log(`  (${step('augment')})`);

  // 6. Evaluation against TopPop.
  const pop = results[0].metrics;
  log(`[6/7] evaluate  full ranking of all unseen items, top-${k}, ${results[0].users} test users; ×TopPop is NDCG@${k} over TopPop's`);
  const header = ['model', 'fit', ...SHOWN.map((m) => metricLabel(m, k)), `sparse NDCG@${k}`, '×TopPop'];
  const rows = results.map((r, j) => [
    r.model, fmtMs(r.fitMs), ...SHOWN.map((m) => r.metrics[m].toFixed(4)), sparseResults[j].metrics.ndcg.toFixed(4), (r.metrics.ndcg / pop.ndcg).toFixed(2),
  ]);
  for (const line of table(header, rows)) log(`  ${line}`);
  step('evaluate');

  // 7. Recommendations for a few customers: the sparsest, a typical and the most active with test items.
  const best = results.slice(1).reduce((a, b) => (b.metrics.ndcg > a.metrics.ndcg ? b : a), results[0]).model;
  const model = models.get(best)!;
  const seen = trainByUser;
  const test = testByUser;
  const withTest = Array.from({ length: train.numUsers }, (_, u) => u).filter((u) => test.offsets[u + 1] > test.offsets[u] && seen.offsets[u + 1] > seen.offsets[u]);
  withTest.sort((a, b) => seen.offsets[a + 1] - seen.offsets[a] - (seen.offsets[b + 1] - seen.offsets[b]) || a - b);
  const picks = show <= 0 || withTest.length === 0 ? [] : [...new Set(Array.from({ length: Math.min(show, withTest.length) }, (_, j) => withTest[show === 1 ? 0 : Math.round((j * (withTest.length - 1)) / (show - 1))]))];
  log(`[7/7] recommend top-${k} from ${best} (the best NDCG@${k}); ✓ marks items the customer went on to choose (held out)`);
  const examples: DemoExample[] = [];
  for (const u of picks) {
    const id = train.userIds.idOf(u);
    const rows = Array.from({ length: train.users.length }, (_, r) => r).filter((r) => train.users[r] === u).sort((a, b) => train.times[b] - train.times[a]);
    const history = rows.slice(0, 3).map((r) => data.itemLabel(train.itemIds.idOf(train.items[r])));
    const hits = new Set(test.items.subarray(test.offsets[u], test.offsets[u + 1]));
    const recs = model.recommend(id, { k }).map((r) => ({ item: r.item, label: data.itemLabel(r.item), score: r.score, hit: hits.has(r.index) }));
    const label = data.userLabel(id);
    examples.push({ user: id, label, trainItems: rows.length, history, recommendations: recs });
    log('');
    log(`  customer ${String(id)}${label ? ` (${label})` : ''}: ${rows.length} training interaction(s), latest: ${history.join('; ')}`);
    recs.forEach((r, j) => log(`   ${String(j + 1).padStart(2)}. ${r.hit ? '✓' : ' '} ${r.label}`));
  }
  step('recommend');
  for (const m of models.values()) m.dispose();
  timings.total = performance.now() - t0;
  log('');
  log(`done in ${fmtMs(timings.total)}`);
  return {
    data: data.description,
    clean: cr,
    split: { description: split.description, trainRows: train.users.length, testRows: split.test.users.length, users: train.numUsers, items: train.numItems },
    k,
    models: names,
    results,
    sparseResults,
    augmentation: { generator: generator.name, sparseUsers: sparse.length, evaluatedUsers: evaluated, added: augmented.added, rows: augRows },
    bestModel: best,
    examples,
    timings,
  };
}
