/**
 * Train/test splits of an interaction log: leave-one-out by time, per-user random ratio (seeded), and a
 * global time cut. Every split guarantees that no (user, item) pair of the test set appears in train, and
 * counts what it had to drop for that. Train and test share the log's id maps and index ranges.
 */
import { invalidArg } from '../errors';
import { requireInteger, requireNumber } from '../validate';
import { itemsByUser, rowsByUser, selectRows, type Interactions } from './interactions';
import { Rng } from './prng';

export type SplitKind = 'loo' | 'ratio' | 'time';

export interface Split {
  train: Interactions;
  test: Interactions;
  kind: SplitKind;
  /** A one-line description for reports, e.g. `per-user random 75/25 (seed 42)`. */
  description: string;
  /** Rows of the log dropped so that no test pair is in train (repeats of a test pair, or cold users). */
  dropped: number;
}

/**
 * Each user's latest interaction (largest time; the later row on ties) is the test item; the rest train.
 * Users with fewer than `minTrain + 1` rows stay wholly in train. Earlier rows of the same pair are dropped.
 */
export function leaveOneOut(x: Interactions, options: { minTrain?: number } = {}): Split {
  const minTrain = requireInteger(options.minTrain ?? 1, 'minTrain', 1);
  const byUser = rowsByUser(x);
  const isTest = new Uint8Array(x.users.length);
  const testItem = new Int32Array(x.numUsers).fill(-1);
  for (let u = 0; u < x.numUsers; u++) {
    const start = byUser.offsets[u];
    const end = byUser.offsets[u + 1];
    if (end - start < minTrain + 1) continue;
    let best = byUser.rows[start];
    for (let j = start + 1; j < end; j++) {
      const r = byUser.rows[j];
      if (x.times[r] >= x.times[best]) best = r; // rows are in log order, so >= prefers the later row
    }
    isTest[best] = 1;
    testItem[u] = x.items[best];
  }
  return finish(x, isTest, testItem, 'loo', `leave-one-out by ${x.hasTime ? 'time' : 'row order (no time column)'}`);
}

/**
 * Per user, a seeded random `ratio` of the user's distinct items go to train (round(ratio * n), at least
 * one) and the rest to test; all rows of a pair go to the same side.
 */
export function ratioSplit(x: Interactions, options: { ratio?: number; seed?: number } = {}): Split {
  const ratio = requireNumber(options.ratio ?? 0.75, 'ratio');
  if (!(ratio > 0 && ratio < 1)) throw invalidArg(`ratio must be between 0 and 1 exclusive (got ${ratio})`);
  const seed = requireInteger(options.seed ?? 0, 'seed', 0);
  const distinct = itemsByUser(x);
  const testPair = new Set<number>();
  for (let u = 0; u < x.numUsers; u++) {
    // The user's items in sorted order, shuffled by a stream of their own: the outcome depends only on
    // (seed, user, the user's items), not on row order or on other users.
    const items = distinct.items.slice(distinct.offsets[u], distinct.offsets[u + 1]);
    const n = items.length;
    const nTrain = Math.max(1, Math.round(ratio * n));
    if (nTrain >= n) continue;
    new Rng(seed, u).shuffle(items);
    for (let j = nTrain; j < n; j++) testPair.add(u * x.numItems + items[j]);
  }
  const isTest = new Uint8Array(x.users.length);
  for (let r = 0; r < isTest.length; r++) isTest[r] = testPair.has(x.users[r] * x.numItems + x.items[r]) ? 1 : 0;
  const pct = Math.round(ratio * 100);
  return finish(x, isTest, null, 'ratio', `per-user random ${pct}/${100 - pct} (seed ${seed})`);
}

/**
 * A global time cut: rows before `at` train, rows at or after it test. Default `at` is the `quantile`
 * (default 0.8) of the timestamps. Test rows of users without train rows, and test rows of pairs already
 * in train, are dropped (a recommender cannot be judged on them honestly).
 */
export function timeSplit(x: Interactions, options: { at?: number; quantile?: number } = {}): Split {
  let at: number;
  if (options.at !== undefined) {
    at = requireNumber(options.at, 'at');
  } else {
    const q = requireNumber(options.quantile ?? 0.8, 'quantile');
    if (!(q > 0 && q < 1)) throw invalidArg(`quantile must be between 0 and 1 exclusive (got ${q})`);
    const sorted = Float64Array.from(x.times).sort();
    at = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  }
  const isTest = new Uint8Array(x.users.length);
  for (let r = 0; r < isTest.length; r++) isTest[r] = x.times[r] >= at ? 1 : 0;
  const trainRows = new Int32Array(x.numUsers);
  const trainPairs = new Set<number>();
  for (let r = 0; r < isTest.length; r++) {
    if (isTest[r]) continue;
    trainRows[x.users[r]]++;
    trainPairs.add(x.users[r] * x.numItems + x.items[r]);
  }
  let dropped = 0;
  const keep = new Uint8Array(x.users.length).fill(1);
  for (let r = 0; r < isTest.length; r++) {
    if (isTest[r] && (trainRows[x.users[r]] === 0 || trainPairs.has(x.users[r] * x.numItems + x.items[r]))) {
      keep[r] = 0;
      dropped++;
    }
  }
  const split = finish(x, isTest, null, 'time', `global time cut at ${at}${options.at === undefined ? ` (the ${options.quantile ?? 0.8} quantile)` : ''}`, keep);
  return { ...split, dropped: split.dropped + dropped };
}

/**
 * Builds the split from a test mask. When `testItem` is given (one test item per user), earlier train rows
 * of that pair are dropped; otherwise pairs are already wholly on one side, except in the time split,
 * whose `keep` mask removes conflicting test rows.
 */
function finish(x: Interactions, isTest: Uint8Array, testItem: Int32Array | null, kind: SplitKind, description: string, keep?: Uint8Array): Split {
  const n = x.users.length;
  const trainMask = new Uint8Array(n);
  const testMask = new Uint8Array(n);
  let dropped = 0;
  for (let r = 0; r < n; r++) {
    if (keep && !keep[r]) continue;
    if (isTest[r]) testMask[r] = 1;
    else if (testItem && testItem[x.users[r]] === x.items[r]) dropped++;
    else trainMask[r] = 1;
  }
  return { train: selectRows(x, trainMask), test: selectRows(x, testMask), kind, description, dropped };
}

/** Parses a CLI split spec: `loo`, `ratio` / `ratio:0.75`, `time` / `time:0.8` (quantile). */
export function splitBySpec(x: Interactions, spec: string, seed = 0): Split {
  const [kind, arg, ...rest] = spec.split(':');
  if (rest.length > 0) throw invalidArg(`split '${spec}': expected loo, ratio:R or time[:Q]`);
  const value = arg === undefined ? undefined : Number(arg);
  if (arg !== undefined && !Number.isFinite(value)) throw invalidArg(`split '${spec}': '${arg}' is not a number`);
  switch (kind) {
    case 'loo':
      if (arg !== undefined) throw invalidArg(`split 'loo' takes no argument`);
      return leaveOneOut(x);
    case 'ratio':
      return ratioSplit(x, { ratio: value ?? 0.75, seed });
    case 'time':
      return timeSplit(x, { quantile: value ?? 0.8 });
    default:
      throw invalidArg(`unknown split '${spec}' (use loo, ratio:0.75 or time[:0.8])`);
  }
}
