/**
 * Cleaning an interaction log before training: optional min-rating to implicit feedback, deduplication of
 * (user, item) pairs, and the k-core filter, each step counted in a report so a run says what it dropped.
 */
import { invalidArg } from '../errors';
import { requireInteger, requireNumber } from '../validate';
import { compact, selectRows, type Interactions } from './interactions';

/** How repeated (user, item) rows merge: keep the latest, the earliest, the highest rating, or sum weights. */
export type DedupeMode = 'latest' | 'first' | 'max' | 'sum' | 'none';

export interface CleanOptions {
  /** Keep rows with rating >= minRating and turn them into implicit feedback (rating 1). */
  minRating?: number;
  /** Treat every kept row as implicit feedback (rating 1) even without minRating. */
  implicit?: boolean;
  /** Default `'latest'`. */
  dedupe?: DedupeMode;
  /** Repeatedly drop users with fewer than `user` rows and items with fewer than `item` rows. */
  kCore?: number | { user?: number; item?: number };
  /** Renumber users and items so only those with rows remain (default true). */
  compact?: boolean;
}

export interface CleanReport {
  rowsIn: number;
  belowMinRating: number;
  duplicates: number;
  kCoreRows: number;
  kCoreRounds: number;
  rowsOut: number;
  usersOut: number;
  itemsOut: number;
}

export interface CleanResult {
  interactions: Interactions;
  report: CleanReport;
}

/** Applies min-rating, dedupe and k-core in that order. */
export function clean(x: Interactions, options: CleanOptions = {}): CleanResult {
  if (options === null || typeof options !== 'object') throw invalidArg('options must be an object');
  const rowsIn = x.users.length;
  let cur = x;
  let belowMinRating = 0;
  if (options.minRating !== undefined) {
    const min = requireNumber(options.minRating, 'minRating');
    const keep = new Uint8Array(cur.users.length);
    for (let r = 0; r < keep.length; r++) keep[r] = cur.ratings[r] >= min ? 1 : 0;
    const kept = selectRows(cur, keep);
    belowMinRating = cur.users.length - kept.users.length;
    cur = kept;
  }
  // A fresh array: the caller's log is never modified.
  if (options.minRating !== undefined || options.implicit) cur = { ...cur, ratings: new Float32Array(cur.users.length).fill(1) };

  const mode = options.dedupe ?? 'latest';
  if (!['latest', 'first', 'max', 'sum', 'none'].includes(mode)) throw invalidArg("dedupe must be 'latest', 'first', 'max', 'sum' or 'none'");
  let duplicates = 0;
  if (mode !== 'none') {
    const before = cur.users.length;
    cur = dedupe(cur, mode);
    duplicates = before - cur.users.length;
  }

  let kCoreRows = 0;
  let kCoreRounds = 0;
  if (options.kCore !== undefined) {
    const k = typeof options.kCore === 'number' ? { user: options.kCore, item: options.kCore } : options.kCore;
    if (k === null || typeof k !== 'object') throw invalidArg('kCore must be a number or { user, item }');
    const ku = requireInteger(k.user ?? 0, 'kCore.user', 0);
    const ki = requireInteger(k.item ?? 0, 'kCore.item', 0);
    const before = cur.users.length;
    const result = kCore(cur, ku, ki);
    cur = result.interactions;
    kCoreRounds = result.rounds;
    kCoreRows = before - cur.users.length;
  }
  if (options.compact !== false) cur = compact(cur);
  let usersOut = 0;
  let itemsOut = 0;
  const u = new Uint8Array(cur.numUsers);
  const i = new Uint8Array(cur.numItems);
  for (let r = 0; r < cur.users.length; r++) {
    if (!u[cur.users[r]]) usersOut += u[cur.users[r]] = 1;
    if (!i[cur.items[r]]) itemsOut += i[cur.items[r]] = 1;
  }
  return {
    interactions: cur,
    report: { rowsIn, belowMinRating, duplicates, kCoreRows, kCoreRounds, rowsOut: cur.users.length, usersOut, itemsOut },
  };
}

/** One row per (user, item), merged by `mode`; the surviving rows keep their log order. */
export function dedupe(x: Interactions, mode: Exclude<DedupeMode, 'none'> = 'latest'): Interactions {
  const n = x.users.length;
  // Sort row ids by (user, item, time, row) so each pair's rows are adjacent and in time order.
  const order = new Int32Array(n);
  for (let r = 0; r < n; r++) order[r] = r;
  order.sort((a, b) => x.users[a] - x.users[b] || x.items[a] - x.items[b] || x.times[a] - x.times[b] || a - b);
  const keep = new Uint8Array(n);
  const ratings = x.ratings.slice();
  for (let s = 0; s < n; ) {
    let e = s + 1;
    while (e < n && x.users[order[e]] === x.users[order[s]] && x.items[order[e]] === x.items[order[s]]) e++;
    const chosen = mode === 'first' ? order[s] : order[e - 1];
    if (mode === 'max') {
      let m = -Infinity;
      for (let j = s; j < e; j++) m = Math.max(m, x.ratings[order[j]]);
      ratings[chosen] = m;
    } else if (mode === 'sum') {
      let sum = 0;
      for (let j = s; j < e; j++) sum += x.ratings[order[j]];
      ratings[chosen] = sum;
    }
    keep[chosen] = 1;
    s = e;
  }
  return selectRows({ ...x, ratings }, keep);
}

/**
 * The k-core: iteratively removes users with fewer than `minUser` rows and items with fewer than
 * `minItem` rows until every remaining user and item meets its threshold (rows, so dedupe first).
 */
export function kCore(x: Interactions, minUser: number, minItem: number): { interactions: Interactions; rounds: number } {
  const n = x.users.length;
  const alive = new Uint8Array(n).fill(1);
  const uc = new Int32Array(x.numUsers);
  const ic = new Int32Array(x.numItems);
  for (let r = 0; r < n; r++) {
    uc[x.users[r]]++;
    ic[x.items[r]]++;
  }
  let rounds = 0;
  for (;;) {
    let removed = 0;
    for (let r = 0; r < n; r++) {
      if (!alive[r]) continue;
      if (uc[x.users[r]] < minUser || ic[x.items[r]] < minItem) {
        alive[r] = 0;
        removed++;
      }
    }
    if (removed === 0) break;
    rounds++;
    uc.fill(0);
    ic.fill(0);
    for (let r = 0; r < n; r++) {
      if (!alive[r]) continue;
      uc[x.users[r]]++;
      ic[x.items[r]]++;
    }
  }
  return { interactions: selectRows(x, alive), rounds };
}
