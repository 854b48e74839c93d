/**
 * Evaluation of recommenders on a split: fit each model (timed), score test users in batches through the
 * model's batch hook, and average the ranking metrics under the full-ranking or sampled protocol. The
 * batch hook lets native models hand over `users × items` score blocks instead of per-user calls.
 */
import { dimMismatch, invalidArg, outOfRange } from '../errors';
import { requireInteger } from '../validate';
import { itemsByUser } from './interactions';
import { fullRankingMetrics, METRIC_NAMES, MetricAccumulator, sampledMetrics, sampleNegatives, type MetricName, type MetricValues } from './metrics';
import type { FitOptions, Recommender } from './model';
import { createModel } from './registry';
import type { Split } from './split';

export type Protocol = 'full' | 'sampled';

export interface EvaluateProgress {
  model: string;
  phase: 'fit' | 'score';
  done: number;
  total: number;
}

export interface EvaluateOptions {
  /** Cut-off of the \@k metrics (default 10). */
  k?: number;
  /** `'full'` (default): rank all unseen items; `'sampled'`: rank each test item among `negatives` sampled items. */
  protocol?: Protocol;
  /** Negatives per test item in the sampled protocol (default 99). */
  negatives?: number;
  /** Seed of the negative sampling (and of model fits that take one). Default 0. */
  seed?: number;
  /** Exclude the user's training items from the full ranking (default true). */
  excludeSeen?: boolean;
  /** Users scored per batch (default 256). */
  batchUsers?: number;
  /** Options passed to each model's constructor by name (`{ bpr: { factors: 64 } }`). */
  modelOptions?: Record<string, Record<string, unknown>>;
  /** Evaluate only these user indices (e.g. {@link sparsestUsers}); default every user with test items. */
  users?: Int32Array;
  /** Also return each evaluated user's metrics (`perUser`), e.g. to compare models on a user group. */
  perUser?: boolean;
  onProgress?: (p: EvaluateProgress) => void;
}

export interface ModelResult {
  model: string;
  fitMs: number;
  evalMs: number;
  /** Users with at least one test item. */
  users: number;
  /** Averaged units: users (full) or (user, test item) pairs (sampled). */
  instances: number;
  metrics: MetricValues;
  /** With `perUser`: the evaluated user indices and, per metric, each one's value (mean over its test pairs). */
  perUser?: { users: Int32Array; metrics: Record<MetricName, Float64Array> };
}

export interface Evaluation {
  /** A sentence saying how the numbers were computed. */
  protocol: string;
  protocolKind: Protocol;
  k: number;
  split: string;
  results: ModelResult[];
}

interface Resolved {
  k: number;
  protocol: Protocol;
  negatives: number;
  seed: number;
  excludeSeen: boolean;
  batchUsers: number;
}

function resolve(options: EvaluateOptions, numItems: number): Resolved {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const k = requireInteger(options.k ?? 10, 'k', 1);
  if (k > numItems) throw outOfRange(`k (${k}) is larger than the catalogue (${numItems} items)`);
  const protocol = options.protocol ?? 'full';
  if (protocol !== 'full' && protocol !== 'sampled') throw invalidArg("protocol must be 'full' or 'sampled'");
  const negatives = requireInteger(options.negatives ?? 99, 'negatives', 1);
  if (protocol === 'sampled' && k > negatives + 1) throw outOfRange(`k (${k}) is larger than the ${negatives + 1} ranked candidates of the sampled protocol`);
  return {
    k,
    protocol,
    negatives,
    seed: requireInteger(options.seed ?? 0, 'seed', 0),
    excludeSeen: options.excludeSeen ?? true,
    batchUsers: requireInteger(options.batchUsers ?? 256, 'batchUsers', 1),
  };
}

export function describeProtocol(o: { protocol: Protocol; k: number; negatives?: number; excludeSeen?: boolean }): string {
  return o.protocol === 'full'
    ? `full ranking over all items${o.excludeSeen === false ? '' : ' the user has not seen in train'}, top-${o.k}, averaged over test users`
    : `sampled: each test item ranked against ${o.negatives ?? 99} sampled items the user never interacted with, top-${o.k}, averaged over test pairs`;
}

/** Evaluates a fitted model on `split.test` (the model must have been fitted on `split.train`). */
export async function evaluateModel(model: Recommender, split: Split, options: EvaluateOptions = {}): Promise<Omit<ModelResult, 'fitMs'>> {
  const o = resolve(options, split.train.numItems);
  if (!model.fitted) throw invalidArg(`model ${model.name} is not fitted`);
  if (model.numItems !== split.train.numItems || model.numUsers !== split.train.numUsers) {
    throw dimMismatch(`model ${model.name} was fitted on ${model.numUsers} users × ${model.numItems} items, the split has ${split.train.numUsers} × ${split.train.numItems}`);
  }
  const t0 = performance.now();
  const nItems = split.train.numItems;
  const train = itemsByUser(split.train);
  const test = itemsByUser(split.test);
  const users: number[] = [];
  if (options.users !== undefined) {
    if (!(options.users instanceof Int32Array)) throw invalidArg('users must be an Int32Array of user indices');
    for (const u of options.users) {
      if (u < 0 || u >= split.test.numUsers) throw outOfRange(`users contains ${u}, outside 0..${split.test.numUsers - 1}`);
      if (test.offsets[u + 1] > test.offsets[u]) users.push(u); // users without test items have nothing to score
    }
  } else {
    for (let u = 0; u < split.test.numUsers; u++) if (test.offsets[u + 1] > test.offsets[u]) users.push(u);
  }
  const acc = new MetricAccumulator();
  const perUser = options.perUser ? (Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(users.length)])) as Record<MetricName, Float64Array>) : null;
  const record = (index: number, v: MetricValues): void => {
    if (perUser) for (const m of METRIC_NAMES) perUser[m][index] = v[m];
  };
  const mask = new Uint8Array(nItems);
  for (let b = 0; b < users.length; b += o.batchUsers) {
    const batch = Int32Array.from(users.slice(b, b + o.batchUsers));
    const scores = await model.scoreUsers(batch);
    if (!(scores instanceof Float32Array) || scores.length !== batch.length * nItems) {
      throw dimMismatch(`${model.name}.scoreUsers returned ${scores?.length} scores, expected ${batch.length} × ${nItems}`);
    }
    for (let j = 0; j < batch.length; j++) {
      const u = batch[j];
      const row = scores.subarray(j * nItems, (j + 1) * nItems);
      const relevant = test.items.subarray(test.offsets[u], test.offsets[u + 1]);
      const seen = train.items.subarray(train.offsets[u], train.offsets[u + 1]);
      if (o.protocol === 'full') {
        if (o.excludeSeen) for (const i of seen) mask[i] = 1;
        const v = fullRankingMetrics(row, relevant, o.k, o.excludeSeen ? mask : undefined);
        acc.add(v);
        record(b + j, v);
      } else {
        // Negatives never include anything the user interacted with; one draw per user, shared by all
        // models (it depends on the seed and the user only).
        for (const i of seen) mask[i] = 1;
        for (const i of relevant) mask[i] = 1;
        const negatives = sampleNegatives(nItems, mask, o.negatives, o.seed, u);
        const mine = new MetricAccumulator();
        for (const p of relevant) {
          const v = sampledMetrics(row, p, negatives, o.k);
          acc.add(v);
          mine.add(v);
        }
        record(b + j, mine.mean());
        for (const i of relevant) mask[i] = 0;
      }
      for (const i of seen) mask[i] = 0;
    }
    options.onProgress?.({ model: model.name, phase: 'score', done: Math.min(b + o.batchUsers, users.length), total: users.length });
    await new Promise((r) => setImmediate(r)); // let timers, I/O and progress output run between batches
  }
  const result: Omit<ModelResult, 'fitMs'> = { model: model.name, evalMs: performance.now() - t0, users: users.length, instances: acc.count, metrics: acc.mean() };
  if (perUser) result.perUser = { users: Int32Array.from(users), metrics: perUser };
  return result;
}

/**
 * The `fraction` of users (with at least one training row) who have the fewest training rows, ties by
 * smaller index: the cold end of the catalogue's audience, where augmentation is meant to help.
 */
export function sparsestUsers(train: Split['train'], fraction: number): Int32Array {
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) throw outOfRange(`fraction must be in (0, 1] (got ${fraction})`);
  const counts = new Int32Array(train.numUsers);
  for (const u of train.users) counts[u]++;
  const active = Array.from({ length: train.numUsers }, (_, u) => u).filter((u) => counts[u] > 0);
  active.sort((a, b) => counts[a] - counts[b] || a - b);
  return Int32Array.from(active.slice(0, Math.max(1, Math.round(fraction * active.length)))).sort();
}

/** Fits each model on `split.train` (by name from the registry, or an instance) and evaluates it. */
export async function evaluate(models: (string | Recommender)[], split: Split, options: EvaluateOptions = {}): Promise<Evaluation> {
  if (!Array.isArray(models) || models.length === 0) throw invalidArg('models must be a non-empty array of names or recommenders');
  const o = resolve(options, split.train.numItems);
  const instances = models.map((m) => (typeof m === 'string' ? createModel(m, options.modelOptions?.[m]) : m));
  const results: ModelResult[] = [];
  for (const model of instances) {
    const fitOptions: FitOptions = {
      seed: o.seed,
      onProgress: (p) => options.onProgress?.({ model: model.name, phase: 'fit', done: p.done, total: p.total }),
    };
    const t0 = performance.now();
    await model.fit(split.train, fitOptions);
    const fitMs = performance.now() - t0;
    const r = await evaluateModel(model, split, options);
    results.push({ ...r, fitMs });
  }
  return { protocol: describeProtocol(o), protocolKind: o.protocol, k: o.k, split: split.description, results };
}
